"""A denial, whoever makes it: the officer (staff_actions.request_deny), the fifth failed
identity check (verification.data_points) or the cap (verification.cap). The writes and the
email are the same; the lifecycle's move says who made it."""

from datetime import datetime

from ..models import DenialReason, Outcome, PrivacyRequest, RequestType
from . import lifecycle


def request_deny_with_reason(
    *,
    privacy_request: PrivacyRequest,
    transition: lifecycle.Transition,
    reason: str,
    explanation: str,
    now: datetime,
    actor=None,
    exception: str = "",
) -> PrivacyRequest:
    """Close the request as denied with its reason (DenialReason, which the metrics count) and
    the explanation the requester reads in the history and the email."""
    assert reason in DenialReason.values
    return lifecycle.transition_perform(
        privacy_request,
        transition,
        writes={
            "outcome": Outcome.DENIED,
            "denial_reason": reason,
            "denial_exception": exception,
            "denial_explanation": explanation,
            "responded_at": now,
        },
        actor=actor,
        detail=explanation,
        message_context={
            "explanation": explanation,
            "offer_opt_out": privacy_request.request_type == RequestType.DELETE,
        },
        at=now,
    )
