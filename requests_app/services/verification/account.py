"""Account holders: their password proves who they are (the notice: password-protected
accounts), and protects the final confirmation of a deletion."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from registry.normalize import normalize_email

from ... import ratelimit
from ...models import PrivacyRequest, VerificationMethod, VerificationTier
from .. import lifecycle
from .cap import request_verified_mark
from .outcome import VerificationLocked, VerificationOutcome


def account_password_check(*, user, password: str, now: datetime | None = None) -> bool:
    """Check an account holder's password before acting on their request. A wrong password
    counts toward the same lock-out as failed data-point checks for that address (so guessing
    is paused after five tries); raises VerificationLocked while paused."""
    now = now or timezone.now()
    key = ratelimit.attempt_key("verify", normalize_email(user.email))
    until = ratelimit.locked_until(ratelimit.FAILED_VERIFICATIONS, key, now=now)
    if until:
        raise VerificationLocked(until)
    if user.check_password(password):
        return True
    ratelimit.record_attempt(ratelimit.FAILED_VERIFICATIONS, key, now=now)
    return False


def request_verify_account(
    *, privacy_request: PrivacyRequest, user, password: str, now: datetime | None = None
) -> VerificationOutcome:
    """Verify an account holder by their password.

    The caller has checked that `user` submitted this request. A wrong password is refused
    with a message and counts toward the lock-out like any failed verification.
    """
    now = now or timezone.now()
    consumer = getattr(user, "consumer", None)
    if not account_password_check(user=user, password=password, now=now):
        return VerificationOutcome(message="That password is not right. Please try again.")
    with transaction.atomic():
        locked = lifecycle.transition_lock(privacy_request, lifecycle.VERIFY)
        locked.consumer = consumer
        locked.save(update_fields=["consumer", "updated_at"])
        return request_verified_mark(
            privacy_request=locked,
            method=VerificationMethod.PASSWORD,
            tier=VerificationTier.ACCOUNT,
            actor=user,
            now=now,
        )
