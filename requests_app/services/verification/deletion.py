"""Deletion: the consumer's second, separate confirmation, after verification."""

from datetime import datetime

from django.utils import timezone

from ...models import PrivacyRequest
from .. import lifecycle
from .account import account_password_check
from .outcome import VerificationOutcome


def request_confirm_delete(
    *, privacy_request: PrivacyRequest, user=None, password: str = "", now: datetime | None = None
) -> VerificationOutcome:
    """The final, separate confirmation of a deletion. Account holders give their password
    again right before it (re-authentication). The caller checks the person may act on it."""
    now = now or timezone.now()
    if privacy_request.requester_user_id:
        if user is None or user.pk != privacy_request.requester_user_id:
            raise lifecycle.WrongState("Sign in to the account that made this request.")
        if not account_password_check(user=user, password=password, now=now):
            return VerificationOutcome(message="That password is not right. Please try again.")
    lifecycle.transition_perform(
        privacy_request,
        lifecycle.CONFIRM_DELETE,
        writes={"delete_confirmed_at": now},
        actor=user,
        at=now,
    )
    return VerificationOutcome(verified=True)
