"""Comparing what a person types with what the registry holds, after normalizing both.

Only the outcome (matched or not) is kept; the typed values are discarded by the caller.
"""

import re
from dataclasses import dataclass

from registry.models import Consumer
from registry.normalize import normalize_email, normalize_phone

from .models import DataPoint

# Common USPS street-suffix and unit abbreviations, so "123 North Main Street, Apartment 4"
# and "123 N Main St Apt 4" compare equal.
ADDRESS_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "highway": "hwy",
    "parkway": "pkwy",
    "circle": "cir",
    "square": "sq",
    "apartment": "apt",
    "suite": "ste",
    "unit": "unit",
    "number": "",
    "no": "",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def normalize_address(value: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", value.lower()).split()
    return " ".join(w for w in (ADDRESS_WORDS.get(word, word) for word in words) if w)


def normalize_zip(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[:5]


def normalize_order_number(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def _phone_or_blank(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValueError:
        return ""


@dataclass(frozen=True)
class MatchResult:
    """Per data point, whether it matched. Nothing the person typed is in here."""

    matched: dict[str, bool]

    @property
    def count(self) -> int:
        return sum(self.matched.values())


def consumer_for_email(email: str) -> Consumer | None:
    """The consumer on record with this email address, if exactly one is."""
    matches = list(Consumer.objects.filter(email=normalize_email(email))[:2])
    return matches[0] if len(matches) == 1 else None


def find_consumer(*, email: str, answers: dict[str, str]) -> tuple[Consumer | None, str]:
    """The consumer the request is about, and the data point that found them.

    By the email address first; a person who writes from another address is found by the phone
    number or the order number they give, which then identifies them but does not also count
    as a matching detail (it would be counted twice)."""
    consumer = consumer_for_email(email) if email else None
    if consumer is not None:
        return consumer, DataPoint.EMAIL
    phone = _phone_or_blank(answers.get(DataPoint.PHONE, ""))
    if phone:
        by_phone = list(Consumer.objects.filter(phone=phone)[:2])
        if len(by_phone) == 1:
            return by_phone[0], DataPoint.PHONE
    order_number = answers.get(DataPoint.RECENT_PURCHASE, "").strip()
    if order_number:
        by_order = list(
            Consumer.objects.filter(orders__order_number__iexact=order_number).distinct()[:2]
        )
        if len(by_order) == 1:
            return by_order[0], DataPoint.RECENT_PURCHASE
    return None, ""


def match_data_points(
    consumer: Consumer | None,
    *,
    answers: dict[str, str],
    proven_email: str | None,
    identified_by: str = "",
) -> MatchResult:
    """Compare the answers with the consumer's records. An unknown consumer matches nothing,
    through the same steps, so the outcome never tells an impostor who is a customer. The
    detail that found the consumer (`identified_by`, other than the proven email) is left out."""
    if identified_by and identified_by != DataPoint.EMAIL:
        answers = {k: v for k, v in answers.items() if k != identified_by}
    matched: dict[str, bool] = {}
    addresses, zips, phones, latest_order = _on_record(consumer)
    if proven_email is not None:
        matched[DataPoint.EMAIL] = bool(consumer) and normalize_email(proven_email) == (
            consumer.email if consumer else None
        )
    if answers.get(DataPoint.ADDRESS):
        matched[DataPoint.ADDRESS] = normalize_address(answers[DataPoint.ADDRESS]) in addresses
    if answers.get(DataPoint.ZIP_CODE):
        matched[DataPoint.ZIP_CODE] = normalize_zip(answers[DataPoint.ZIP_CODE]) in zips
    if answers.get(DataPoint.RECENT_PURCHASE):
        typed = normalize_order_number(answers[DataPoint.RECENT_PURCHASE])
        matched[DataPoint.RECENT_PURCHASE] = bool(latest_order) and typed == latest_order
    if answers.get(DataPoint.PHONE):
        typed_phone = _phone_or_blank(answers[DataPoint.PHONE])
        matched[DataPoint.PHONE] = bool(typed_phone) and typed_phone in phones
    return MatchResult(matched=matched)


def _on_record(consumer: Consumer | None) -> tuple[set[str], set[str], set[str], str]:
    if consumer is None:
        return set(), set(), set(), ""
    addresses: set[str] = set()
    zips: set[str] = set()
    for record in consumer.records.filter(category__slug="shipping-address"):
        details = record.details or {}
        line1 = details.get("line1") or record.value.split(",")[0]
        addresses.add(normalize_address(line1))
        street = ", ".join(p for p in (details.get("line1"), details.get("line2")) if p)
        if street:
            addresses.add(normalize_address(street))
        if details.get("zip_code"):
            zips.add(normalize_zip(str(details["zip_code"])))
    phones = {consumer.phone} if consumer.phone else set()
    phones |= {
        _phone_or_blank(r.value) for r in consumer.records.filter(category__slug="telephone-number")
    }
    phones.discard("")
    latest = consumer.orders.order_by("-placed_at").values_list("order_number", flat=True).first()
    return addresses, zips, phones, normalize_order_number(latest or "")
