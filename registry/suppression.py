"""The suppression list: deleted people, kept only as keyed hashes of their identifiers.

When a consumer is erased at their request (fulfilment.erasure), the keyed hashes (HMAC-SHA256,
key settings.SUPPRESSION_HASH_KEY) of their normalized email address and phone number are
recorded, so that a later import from the shop's systems recognises them and does not create
them again (DESIGN.md, "delete": "a minimal suppression record so the deleted data is not
re-imported"). The hashes cannot be reversed, and without the key nobody can test a guess
against them; the key is a secret like SECRET_KEY, and changing it empties the list in effect.

The list is the registry's: consumer_import refuses a suppressed person, fulfilment.erasure adds
one. Normalization is registry.normalize's too, so that "Jane@Example.com " and
"jane@example.com", or "(415) 555-0188" and "+14155550188", hash the same.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from core.keyed_hash import KeyPurpose, keyed_hash

from .models import Suppression
from .normalize import normalize_email, normalize_phone


def _normalized(value: str) -> str:
    """An email address lower-cased; anything else is a phone number, in E.164. A value that is
    not a valid phone number is hashed as typed (stripped), so it still compares with itself."""
    value = value.strip()
    if "@" in value:
        return normalize_email(value)
    try:
        return normalize_phone(value)
    except ValueError:
        return value


def identifier_hmac(value: str) -> str:
    """The keyed hash of a normalized email address or phone number ("" for no value)."""
    if not value or not value.strip():
        return ""
    return keyed_hash(_normalized(value), purpose=KeyPurpose.SUPPRESSION)


def suppression_add(*, email: str, phone: str, now: datetime) -> Suppression | None:
    """Record a deleted person. Idempotent: the same email and phone make one row. Returns
    None when there is nothing to record (neither an email address nor a phone number)."""
    email_hmac, phone_hmac = identifier_hmac(email), identifier_hmac(phone)
    if not (email_hmac or phone_hmac):
        return None
    suppression, _ = Suppression.objects.get_or_create(
        email_hmac=email_hmac, phone_hmac=phone_hmac, defaults={"created_at": now}
    )
    return suppression


def is_suppressed(*, email: str = "", phone: str = "") -> bool:
    """Whether a person with this email address or this phone number was deleted at their
    request. Either identifier matching is enough; an empty one matches nothing."""
    condition = Q()
    if email_hmac := identifier_hmac(email):
        condition |= Q(email_hmac=email_hmac)
    if phone_hmac := identifier_hmac(phone):
        condition |= Q(phone_hmac=phone_hmac)
    if not condition:
        return False
    return Suppression.objects.filter(condition).exists()
