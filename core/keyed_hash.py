"""The one keyed hash (HMAC-SHA256, hex) of every value the portal must recognise later without
keeping it: the codes and links it emails, the rate limits' keys, the suppression list's and the
pending opt-outs' identifiers.

Each purpose has its own key setting, so that rotating one (SECRET_KEY, say) does not empty the
suppression list or forget the opt-outs still waiting for their consumer. The outputs are the
stored values: changing this function, a purpose's key or how a caller builds its message would
make every stored hash stop matching (tests/test_keyed_hash.py holds known vectors).
"""

import hashlib
import hmac
from enum import StrEnum

from django.conf import settings


class KeyPurpose(StrEnum):
    """What a keyed hash is for; each names the setting that holds its key (KEY_SETTINGS)."""

    # One-time codes and links sent by email (requests_app.services.codes), and the links and
    # codes of an answer (fulfilment.services): compared once, kept until they expire.
    EMAILED_SECRET = "emailed-secret"  # noqa: S105  (a purpose's name, not a secret)
    # Rate-limit counters keyed by an email address, consumer or IP address
    # (requests_app.ratelimit): kept a day.
    RATE_LIMIT = "rate-limit"
    # Deleted people's normalized email and phone (registry.suppression): kept for good.
    SUPPRESSION = "suppression"
    # An opt-out's identifier that matches nobody yet (consent.identifiers): kept until applied.
    CONSENT_IDENTIFIER = "consent-identifier"


KEY_SETTINGS: dict[KeyPurpose, str] = {
    KeyPurpose.EMAILED_SECRET: "SECRET_KEY",
    KeyPurpose.RATE_LIMIT: "SECRET_KEY",
    KeyPurpose.SUPPRESSION: "SUPPRESSION_HASH_KEY",
    KeyPurpose.CONSENT_IDENTIFIER: "CONSENT_HASH_KEY",
}


def keyed_hash(message: str, *, purpose: KeyPurpose) -> str:
    """HMAC-SHA256 of `message` (UTF-8) with the purpose's key, as 64 hex digits."""
    key = getattr(settings, KEY_SETTINGS[purpose])
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def keyed_hash_matches(stored: str, message: str, *, purpose: KeyPurpose) -> bool:
    """Whether `message` hashes to `stored`, compared in constant time (a guess at a code learns
    nothing from how long the comparison took)."""
    return hmac.compare_digest(stored, keyed_hash(message, purpose=purpose))
