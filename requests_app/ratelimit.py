"""Rate limits and lock-outs for submissions and verification attempts (issue: abuse).

Attempts are rows keyed by a keyed hash of the email address, consumer or IP address, so the
table holds no personal data and works the same across every web process. `attempt_take`
counts and records under a lock on the key's row, so a burst of simultaneous attempts passes
exactly as many as the limit allows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.keyed_hash import KeyPurpose, keyed_hash
from core.models import RateLimitKey

from .models import Attempt


def attempt_key(*parts: object) -> str:
    message = "|".join(str(p).strip().lower() for p in parts)
    return keyed_hash(message, purpose=KeyPurpose.RATE_LIMIT)


@dataclass(frozen=True)
class Limit:
    kind: str
    max_attempts: int
    window: timedelta


SUBMISSIONS_PER_EMAIL = Limit(Attempt.Kind.SUBMISSION, 5, timedelta(hours=1))
SUBMISSIONS_PER_IP = Limit(Attempt.Kind.SUBMISSION, 20, timedelta(hours=1))
FAILED_CODES = Limit(Attempt.Kind.CODE_FAILED, 5, timedelta(hours=1))
FAILED_VERIFICATIONS = Limit(Attempt.Kind.VERIFICATION_FAILED, 5, timedelta(hours=1))
STATUS_LOOKUPS = Limit(Attempt.Kind.STATUS_LOOKUP, 10, timedelta(hours=1))
CODE_RESENDS = Limit(Attempt.Kind.CODE_RESENT, 3, timedelta(minutes=15))


def record_attempt(limit: Limit, key: str, *, now: datetime | None = None) -> None:
    Attempt.objects.create(kind=limit.kind, key=key, at=now or timezone.now())


def locked_until(limit: Limit, key: str, *, now: datetime | None = None) -> datetime | None:
    """When the key may try again, or None if it may now. The lock lasts `window` from the
    attempt that reached the limit."""
    now = now or timezone.now()
    recent = list(
        Attempt.objects.filter(kind=limit.kind, key=key, at__gt=now - limit.window)
        .order_by("-at")
        .values_list("at", flat=True)[: limit.max_attempts]
    )
    if len(recent) < limit.max_attempts:
        return None
    return recent[0] + limit.window


def attempt_take(limit: Limit, key: str, *, now: datetime | None = None) -> datetime | None:
    """Record an attempt if the limit allows one: None when recorded, else when the key may
    try again. Call it inside the transaction of the work it limits, so the attempt is kept
    only if the work is, and no other attempt for the key is counted until that commits."""
    now = now or timezone.now()
    with transaction.atomic():
        _key_lock(limit, key, now=now)
        until = locked_until(limit, key, now=now)
        if until is None:
            record_attempt(limit, key, now=now)
        return until


def _key_lock(limit: Limit, key: str, *, now: datetime) -> None:
    """Lock the key's row for the rest of the transaction, creating it the first time. A
    check then an insert of attempts is not enough: simultaneous requests all count the same
    attempts before any is recorded. Whoever holds this row counts alone."""
    while True:
        # A conditional UPDATE: it locks the row (waiting for whoever holds it) if there is one.
        if RateLimitKey.objects.filter(kind=limit.kind, key=key).update(touched_at=now):
            return
        try:
            with transaction.atomic():
                RateLimitKey.objects.create(kind=limit.kind, key=key, touched_at=now)
            return
        except IntegrityError:
            continue  # created meanwhile by a simultaneous attempt: lock that row instead


def attempts_left(limit: Limit, key: str, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    used = Attempt.objects.filter(kind=limit.kind, key=key, at__gt=now - limit.window).count()
    return max(limit.max_attempts - used, 0)


def purge_old_attempts(*, now: datetime) -> int:
    """Attempts older than a day are no longer needed for any limit, nor the keys' rows."""
    deleted, _ = Attempt.objects.filter(at__lt=now - timedelta(days=1)).delete()
    RateLimitKey.objects.filter(touched_at__lt=now - timedelta(days=1)).delete()
    return deleted
