"""Rate limits and lock-outs for submissions and verification attempts (issue: abuse).

Attempts are rows keyed by a keyed hash of the email address, consumer or IP address, so the
table holds no personal data and works the same across every web process.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import Attempt


def attempt_key(*parts: object) -> str:
    message = "|".join(str(p).strip().lower() for p in parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


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


def attempts_left(limit: Limit, key: str, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    used = Attempt.objects.filter(kind=limit.kind, key=key, at__gt=now - limit.window).count()
    return max(limit.max_attempts - used, 0)


def purge_old_attempts(*, now: datetime) -> int:
    """Attempts older than a day are no longer needed for any limit."""
    deleted, _ = Attempt.objects.filter(at__lt=now - timedelta(days=1)).delete()
    return deleted
