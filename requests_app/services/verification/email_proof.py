"""Step 1: the requester proves their email address with the code the receipt carried."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ... import ratelimit
from ...models import EmailChallenge, PrivacyRequest
from .. import lifecycle
from ..codes import ChallengeError, challenge_use
from .outcome import VerificationLocked


def _email_lock_key(privacy_request: PrivacyRequest) -> str:
    return ratelimit.attempt_key("email", privacy_request.requester_email)


def request_confirm_email(
    *, privacy_request: PrivacyRequest, code: str, now: datetime | None = None
) -> PrivacyRequest:
    """Prove the requester's email address with the code we sent. Raises ChallengeError with a
    message for the person, or VerificationLocked after too many wrong codes."""
    now = now or timezone.now()
    key = _email_lock_key(privacy_request)
    until = ratelimit.locked_until(ratelimit.FAILED_CODES, key, now=now)
    if until:
        raise VerificationLocked(until)
    with transaction.atomic():
        locked = lifecycle.transition_lock(privacy_request, lifecycle.CONFIRM_EMAIL)
        challenge = (
            EmailChallenge.objects.select_for_update()
            .filter(request=locked, purpose=EmailChallenge.Purpose.CONFIRM_EMAIL)
            .order_by("-created_at")
            .first()
        )
        if challenge is None:
            raise ChallengeError("Ask for a new code below.")
        problem: ChallengeError | None = None
        try:
            challenge_use(challenge=challenge, secret=code, now=now)
        except ChallengeError as wrong_code:
            problem = wrong_code
        else:
            locked = lifecycle.transition_perform(
                locked, lifecycle.CONFIRM_EMAIL, writes={"email_confirmed_at": now}, at=now
            )
    if problem is not None:
        # Recorded after the transaction: raised inside it, the record would roll back too.
        ratelimit.record_attempt(ratelimit.FAILED_CODES, key, now=now)
        raise problem
    return locked
