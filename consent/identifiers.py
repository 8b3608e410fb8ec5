"""The identifiers an opt-out is given with, and the hashes kept of them.

Two different hashes, for two different readers:

- `identifier_hash` is keyed (HMAC-SHA256 with settings.CONSENT_HASH_KEY). It is what a pending
  opt-out keeps of an email address or phone number that matches nobody yet: the portal can
  recognise the person when they appear, and nobody who reads the table (or a backup) can
  recover the identifier or test a guess without the key.
- `email_sha256` is the plain SHA-256 of the normalized email address: what the partners'
  suppression list carries. A partner hashes the addresses it holds the same way and suppresses
  the matches; it learns nothing about anyone it does not already hold (README, "Opt-out of
  sale").
"""

import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.keyed_hash import KeyPurpose, keyed_hash
from registry.normalize import normalize_email, normalize_phone

from .models import PendingOptOut

Kind = PendingOptOut.IdentifierKind


class IdentifierInvalid(ValueError):
    """What the consumer typed is neither an email address nor a phone number."""


def identifier_parse(raw: str) -> tuple[str, str]:
    """Return (kind, normalized value) for an email address or a phone number, or raise
    IdentifierInvalid with a message for the consumer."""
    value = raw.strip()
    if not value:
        raise IdentifierInvalid("Enter your email address or your phone number.")
    if "@" in value:
        email = normalize_email(value)
        try:
            validate_email(email)
        except ValidationError:
            raise IdentifierInvalid(
                "Enter a complete email address, like name@example.com."
            ) from None
        return Kind.EMAIL, email
    if not any(character.isdigit() for character in value):
        raise IdentifierInvalid(
            "Enter an email address (like name@example.com) or a phone number with its area "
            "code (like 415 555 0100)."
        )
    try:
        return Kind.PHONE, normalize_phone(value)
    except ValueError:
        raise IdentifierInvalid(
            "That is not a phone number we can recognise. Enter it with its area code, like "
            "415 555 0100, or +44 20 7946 0000 outside the United States."
        ) from None


def identifier_hash(kind: str, normalized: str) -> str:
    return keyed_hash(f"{kind}:{normalized}", purpose=KeyPurpose.CONSENT_IDENTIFIER)


def consumer_identifier_hashes(*, email: str, phone: str) -> list[tuple[str, str]]:
    """The keyed hashes a consumer's own identifiers have, to look pending opt-outs up by."""
    hashes = []
    if email:
        hashes.append((Kind.EMAIL.value, identifier_hash(Kind.EMAIL, normalize_email(email))))
    if phone:
        hashes.append((Kind.PHONE.value, identifier_hash(Kind.PHONE, phone)))
    return hashes


def email_sha256(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()
