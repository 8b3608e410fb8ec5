"""One-time codes and links sent by email: random, stored as keyed hashes, expiring, single use."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings

from core.keyed_hash import KeyPurpose, keyed_hash, keyed_hash_matches

from ..models import EmailChallenge, PrivacyRequest


class ChallengeError(Exception):
    """A code or link that cannot be used; the message is for the person."""


def challenge_issue(
    *,
    privacy_request: PrivacyRequest,
    purpose: str,
    now: datetime,
    lifetime: timedelta,
    link: bool = False,
) -> tuple[EmailChallenge, str]:
    """Create a challenge and return it with its secret: a six-digit code, or a long token for
    a link. Earlier unused challenges of the same purpose stop working."""
    EmailChallenge.objects.filter(
        request=privacy_request, purpose=purpose, used_at__isnull=True
    ).update(expires_at=now)
    secret = secrets.token_urlsafe(32) if link else f"{secrets.randbelow(10**6):06d}"
    challenge = EmailChallenge.objects.create(
        request=privacy_request,
        purpose=purpose,
        code_hash=keyed_hash(secret, purpose=KeyPurpose.EMAILED_SECRET),
        created_at=now,
        expires_at=now + lifetime,
    )
    return challenge, secret


def challenge_use(*, challenge: EmailChallenge, secret: str, now: datetime) -> None:
    """Spend the challenge if the secret is right; raise ChallengeError otherwise. The caller
    holds a lock on the challenge row (select_for_update) so a code is used once."""
    if challenge.used_at is not None:
        raise ChallengeError("This code has already been used.")
    if challenge.expires_at <= now:
        raise ChallengeError("This code has expired. Ask for a new one below.")
    if challenge.failed_attempts >= settings.EMAIL_CODE_MAX_ATTEMPTS:
        raise ChallengeError("This code was entered wrongly too many times. Ask for a new one.")
    if not keyed_hash_matches(
        challenge.code_hash, secret.strip(), purpose=KeyPurpose.EMAILED_SECRET
    ):
        challenge.failed_attempts += 1
        challenge.save(update_fields=["failed_attempts"])
        raise ChallengeError("That code is not right. Check the email we sent and try again.")
    challenge.used_at = now
    challenge.save(update_fields=["used_at"])


def link_spend(*, challenge_id: int, purpose: str, secret: str, now: datetime) -> EmailChallenge:
    """Spend the emailed link `challenge_id` of `purpose`: locked, so it works once. Call it
    inside a transaction; raises ChallengeError with a message for the person."""
    challenge = (
        EmailChallenge.objects.select_for_update()
        .select_related("request")
        .filter(pk=challenge_id, purpose=purpose)
        .first()
    )
    if challenge is None:
        raise ChallengeError("This link is not valid.")
    challenge_use(challenge=challenge, secret=secret, now=now)
    return challenge


def make_link_token(challenge: EmailChallenge, secret: str) -> str:
    return f"{challenge.pk}-{secret}"


def split_link_token(token: str) -> tuple[int, str] | None:
    pk, _, secret = token.partition("-")
    if not pk.isdigit() or not secret:
        return None
    return int(pk), secret
