"""Proving who is asking, one module per concern (DESIGN.md, 11 CCR 7060-7062):

    email_proof   step 1: the requester's address, by the code the receipt carried
    account       account holders: their password
    data_points   everyone else: data points matched against the registry; the downgrade
    agents        an agent's request: the consumer confirms the agent
    deletion      a deletion's separate, final confirmation
    cap           two requests to know in 12 months; request_verified_mark, where every
                  path to verified ends
    outcome       what each step answers (VerificationOutcome, VerificationLocked)

Every status these write goes through the lifecycle (services/lifecycle.py).
"""

from ..lifecycle import WrongState
from .account import account_password_check, request_verify_account
from .agents import agent_confirmation_ask, request_consumer_confirms_agent
from .cap import know_cap_next_free_date, request_verified_mark
from .data_points import (
    THREE_TIER,
    TWO_TIER,
    request_downgrade_to_categories,
    request_verify_data_points,
    verification_checks_record,
)
from .deletion import request_confirm_delete
from .email_proof import request_confirm_email
from .outcome import VerificationLocked, VerificationOutcome

__all__ = [
    "THREE_TIER",
    "TWO_TIER",
    "VerificationLocked",
    "VerificationOutcome",
    "WrongState",
    "account_password_check",
    "agent_confirmation_ask",
    "know_cap_next_free_date",
    "request_confirm_delete",
    "request_confirm_email",
    "request_consumer_confirms_agent",
    "request_downgrade_to_categories",
    "request_verified_mark",
    "request_verify_account",
    "request_verify_data_points",
    "verification_checks_record",
]
