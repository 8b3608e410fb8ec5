"""What is never disclosed (11 CCR 7024(d)), and the masking that holds it back: the "Withheld"
rules of fulfilment.reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_PASSWORD = "account_password"  # noqa: S105  (a kind of data, not a password)
CARD_NUMBER = "card_number"
GOVERNMENT_ID = "government_id"
SECURITY_ANSWERS = "security_answers"

WITHHELD = {
    ACCOUNT_PASSWORD: (
        "Account password",
        "You have an account password. We hold it only in a form that cannot be read, and we "
        "do not disclose it.",
    ),
    CARD_NUMBER: (
        "Full payment card and account numbers",
        "Some of your information contains a payment card or other account number, or a card "
        "security code. We show only the last four digits of the number and not the code: the "
        "law does not allow us to disclose them in full, to protect you from fraud.",
    ),
    GOVERNMENT_ID: (
        "Government identification numbers",
        "Some of your information contains a government identification number, such as a "
        "Social Security number. We hold it but do not disclose it: the law does not allow us "
        "to, to protect you from identity theft.",
    ),
    SECURITY_ANSWERS: (
        "Security questions and answers",
        "You have security questions and answers with us. We hold them but do not disclose "
        "them: the law does not allow us to, so that they keep protecting your account.",
    ),
}

# 13 to 19 digits, each optionally followed by one space or hyphen ("4111 1111 1111 1111").
CARD_NUMBER_PATTERN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
SSN_PATTERN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
MASK = "*"


def withheld_key_kind(key: str) -> str | None:
    """The kind of withheld data a details key names, if any ("security_answer" -> ...)."""
    normalized = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    tokens = set(normalized.split("_"))
    if "password" in normalized or "passwd" in normalized or "passcode" in normalized:
        return ACCOUNT_PASSWORD
    if "security_answer" in normalized or "security_question" in normalized:
        return SECURITY_ANSWERS
    if "secret" in tokens and ({"answer", "question"} & tokens):
        return SECURITY_ANSWERS
    if tokens & {"cvv", "cvc", "cvv2", "cvc2", "csc"} or "security_code" in normalized:
        return CARD_NUMBER
    if tokens & {"ssn", "itin", "passport"} or "social_security" in normalized:
        return GOVERNMENT_ID
    if "driver" in tokens and ({"license", "licence"} & tokens):
        return GOVERNMENT_ID
    return None


@dataclass
class Masker:
    """Masks what may not be disclosed and remembers which kinds it held back."""

    kinds: set[str] = field(default_factory=set)

    def text(self, value: str) -> str:
        def card(match: re.Match[str]) -> str:
            self.kinds.add(CARD_NUMBER)
            digits_seen = 0
            total = sum(ch.isdigit() for ch in match.group())
            out = []
            for ch in match.group():
                if ch.isdigit():
                    digits_seen += 1
                    out.append(ch if digits_seen > total - 4 else MASK)
                else:
                    out.append(ch)
            return "".join(out)

        def ssn(match: re.Match[str]) -> str:
            self.kinds.add(GOVERNMENT_ID)
            return re.sub(r"\d", MASK, match.group())

        return CARD_NUMBER_PATTERN.sub(card, SSN_PATTERN.sub(ssn, value))

    def value(self, value: Any) -> Any:
        """Any JSON value: strings masked, keys that name withheld data dropped, numbers long
        enough to be a card number masked (and so turned into strings)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            masked = self.text(str(value))
            return value if masked == str(value) else masked
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                kind = withheld_key_kind(str(key))
                if kind is not None:
                    if item not in (None, "", [], {}):
                        self.kinds.add(kind)
                    continue
                kept[str(key)] = self.value(item)
            return kept
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return self.text(str(value))


def withheld_entries(kinds: set[str]) -> list[dict[str, str]]:
    """One entry per kind held back, in WITHHELD's order: it is held, and why it is not shown."""
    return [
        {"kind": kind, "label": WITHHELD[kind][0], "statement": WITHHELD[kind][1]}
        for kind in WITHHELD
        if kind in kinds
    ]
