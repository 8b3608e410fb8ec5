"""The request workflow's business rules. Views, admin, tasks, commands and tests all call
these; none re-implements a rule (STYLE.md)."""

from .codes import ChallengeError
from .following import request_withdraw, status_link_open, status_link_send
from .lifecycle import WrongState
from .submission import SubmissionRefused, agent_document_type, request_submit, resend_code
from .verification import (
    VerificationLocked,
    VerificationOutcome,
    account_password_check,
    know_cap_next_free_date,
    request_confirm_delete,
    request_confirm_email,
    request_consumer_confirms_agent,
    request_verify_account,
    request_verify_data_points,
)

__all__ = [
    "ChallengeError",
    "SubmissionRefused",
    "VerificationLocked",
    "VerificationOutcome",
    "WrongState",
    "account_password_check",
    "agent_document_type",
    "know_cap_next_free_date",
    "request_confirm_delete",
    "request_confirm_email",
    "request_consumer_confirms_agent",
    "request_submit",
    "request_verify_account",
    "request_verify_data_points",
    "request_withdraw",
    "resend_code",
    "status_link_open",
    "status_link_send",
]
