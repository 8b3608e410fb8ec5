"""A request's reference: what the consumer quotes, reads out on the phone and types in.

`PR-2026-7KQ4-M9XD`: the year received, then eight random characters of Crockford's base 32
(digits and capitals without I, L, O and U, so nothing reads as another character or as a
word), in two groups of four for reading out. Random, not a count: a reference tells nobody
how many requests we receive, nor lets them guess another person's (issue 10, item 9). 40
random bits make a collision rare; the database's unique constraint makes it impossible, and
the lifecycle's first move (services/lifecycle.py) draws again when it happens.

References given before this format (`PR-2026-000018`) stay valid wherever one is read.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARACTERS = 8
_GROUP = f"[{ALPHABET}]{{4}}"
# The URL converter and the status form accept exactly this; the old sequential form too.
PATTERN = rf"PR-\d{{4}}-(?:{_GROUP}-{_GROUP}|\d{{6,9}})"
EXAMPLE = "PR-2026-7KQ4-M9XD"

# What people type for what they read: Crockford's decoding of look-alike letters.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def reference_new(year: int) -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARACTERS))
    return f"PR-{year}-{random_part[:4]}-{random_part[4:]}"


def reference_normalize(typed: str) -> str | None:
    """The reference someone typed, as we store it, or None if it cannot be one. Lower case,
    spaces or dashes between the groups, and O, I or L for 0 and 1 are forgiven."""
    compact = re.sub(r"[\s-]", "", typed.upper())
    match = re.fullmatch(r"PR(\d{4})([0-9A-Z]{8}|\d{6,9})", compact)
    if match is None:
        return None
    year, rest = match.groups()
    if rest.isdigit() and len(rest) != RANDOM_CHARACTERS:
        return f"PR-{year}-{rest}"  # an older, sequential reference
    rest = rest.translate(_READ_AS)
    candidate = f"PR-{year}-{rest[:4]}-{rest[4:]}"
    if re.fullmatch(PATTERN, candidate):
        return candidate
    return None
