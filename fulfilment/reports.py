"""The answer to a request to know (the notice, section III "Your rights"; Civ. Code 1798.100,
1798.110 and 1798.115; 11 CCR 7024), as one JSON-serializable dict that every file of the answer
(fulfilment/exports/) is rendered from.

Everything the report says about the business comes from the inventory (consent.models: the
categories, their sources, purposes and sharings) and everything it says about the consumer from
the registry (their PersonalRecords, identity and orders) and their consent history. No company
text is written here; the few sentences below explain the consumer's own situation (why a piece
is withheld, why nothing was sold).

The rules, chosen where the law and the notice leave a choice:

Period
    The 12 months before receipt (settings.KNOW_REPORT_LOOKBACK_MONTHS): from the start of the
    day, in the business's time zone, 12 months before the receipt date
    (legal_clock.know_report_lookback_start) to the instant of receipt. The notice: "Any
    disclosures we provide will only cover the twelve-month period preceding receipt."

Categories collected
    The categories of the consumer's PersonalRecords collected in the period. The identity kept
    on the Consumer row (full name, email address, phone number) counts too, as the categories
    "name", "email-address" and "telephone-number", when no record of that category was collected
    in the period but the Consumer row itself was created in the period (its `created_at` is the
    only collection date the registry has for it).

Sources
    The actual sources of the consumer's own records of that category in the period, not every
    source the inventory names for the category. A category reported only because of the
    identity fields has no record to read a source from: it shows the inventory's sources for
    the category, and says so (`sources_basis`: "records" or "inventory").

Purposes
    The inventory's business purposes of each category collected.

Disclosed and sold
    What was disclosed or sold in the period is about the data held in the period, not only the
    data collected in it: a name collected three years ago and sold last month was sold in the
    period. A category counts as held when a record of it (or the identity field for it) was
    collected on or before receipt. It is disclosed to every third party of the inventory's
    disclosure Sharings. It is sold to the third parties of the inventory's sale Sharings only if
    the consumer's data could be sold at some moment of the period while the category was held:
    the same rule as consent.selectors.sellable_condition (not opted out; a consumer known to be
    under SALE_MINIMUM_AGE only after an opt-in), replayed over the period from the consumer's
    consent history (ConsentEvent "opted_out" and "opted_in"; an opt-out that waited for the
    consumer to appear dates from when they gave it). Only that history is read, never the
    current sale flag, which no app but consent reads (tests/test_opt_out.py). An opt-out takes
    effect the moment it is received (DESIGN.md: "the sale flag off for this person at once").
    `sale.sale_allowed` lists the stretches of the period during which sale was allowed.

Specific pieces (know_specific only)
    Every record collected in the period, the identity fields held now, the login account, and
    every order placed in the period, each with its category, date, source and data system. The
    categories report reveals no specific piece, not even the consumer's name (11 CCR 7024(e)).

Withheld
    11 CCR 7024(d) forbids disclosing a financial account number, a government identification
    number, an account password, or security questions and answers, but requires telling the
    consumer that such information is held. Any run of 13 to 19 digits (spaces or hyphens
    between them allowed) in a value or its details is masked but for its last four digits;
    a number written like a Social Security number (123-45-6789) is masked entirely; detail keys
    that name a password, a security answer, a card security code or a government identification
    number are left out. Each kind so held back, and the account password of a consumer with a
    login account, gets one "withheld" entry saying it is held and why it is not shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from consent.models import ConsentEvent, ConsentSource, PendingOptOut
from core import legal_clock
from inventory.models import Category, Sharing
from inventory.selectors import inventory_categories
from registry.models import Consumer, Order, PersonalRecord
from requests_app.models import PrivacyRequest, RequestType

REPORT_VERSION = 1

# The identity fields of Consumer, and the inventory category each one is an instance of. The
# slugs are stable (consent migration 0002): the officer edits names, never slugs.
IDENTITY_CATEGORIES = {
    "full_name": "name",
    "email": "email-address",
    "phone": "telephone-number",
}
# What the specific-pieces report shows of the Consumer row, in this order.
IDENTITY_FIELDS = ("full_name", "email", "phone", "birth_date", "shop_customer_id")


# --- What is never disclosed (11 CCR 7024(d)) ---------------------------------------------------

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


def _withheld_key_kind(key: str) -> str | None:
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
class _Masker:
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
                kind = _withheld_key_kind(str(key))
                if kind is not None:
                    if item not in (None, "", [], {}):
                        self.kinds.add(kind)
                    continue
                kept[str(key)] = self.value(item)
            return kept
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return self.text(str(value))


# --- Small helpers --------------------------------------------------------------------------


def _iso(instant: datetime | None) -> str | None:
    """An instant as ISO 8601 in the business's time zone (its first ten characters are the
    business date the consumer reads)."""
    if instant is None:
        return None
    return instant.astimezone(legal_clock.business_zone()).isoformat(timespec="seconds")


def _ref(entry: Any) -> dict[str, str]:
    return {"slug": entry.slug, "name": entry.name, "description": entry.description}


def _third_party(sharing: Sharing) -> dict[str, Any]:
    return {"third_party": _ref(sharing.third_party), "reason": sharing.reason}


# --- Whether the consumer's data could be sold, moment by moment --------------------------------

OPTED_OUT = "opted_out"
OPTED_IN = "opted_in"
NO_DIRECTION = "none"


def _sale_directions(consumer: Consumer, *, until: datetime) -> list[tuple[datetime, str]]:
    """The consumer's directions about sale up to `until`, oldest first: (when, OPTED_OUT or
    OPTED_IN), read from the append-only consent history.

    Only the history is read, never the current sale flag (tests/test_opt_out.py keeps every
    app but consent from reading it). An opt-out that waited for the consumer to appear
    (PendingOptOut, applied as an "earlier request") dates from when the consumer gave it, as
    consent.services.pending_opt_outs_apply records it, not from when it was applied.
    """
    events = ConsentEvent.objects.filter(
        consumer=consumer,
        kind__in=[ConsentEvent.Kind.OPTED_OUT, ConsentEvent.Kind.OPTED_IN],
        created_at__lte=until,
    ).order_by("created_at", "pk")
    waiting = [
        (applied, received)
        for applied, received in PendingOptOut.objects.filter(
            applied_to=consumer, applied_at__isnull=False
        ).values_list("applied_at", "received_at")
        if applied is not None
    ]
    directions: list[tuple[datetime, str]] = []
    for event in events:
        when = event.created_at
        if event.kind == ConsentEvent.Kind.OPTED_OUT:
            if event.source == ConsentSource.EARLIER_REQUEST:
                given = [received for applied, received in waiting if applied <= when]
                if given:
                    when = min(when, min(given))
            directions.append((when, OPTED_OUT))
        else:
            directions.append((when, OPTED_IN))
    directions.sort(key=lambda d: d[0])
    return directions


def _state_at(directions: list[tuple[datetime, str]], moment: datetime) -> str:
    state = NO_DIRECTION
    for when, direction in directions:
        if when <= moment:
            state = direction
    return state


def _sale_allowed_stretches(
    consumer: Consumer,
    directions: list[tuple[datetime, str]],
    *,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    """The stretches of [start, end] during which the consumer's personal information could be
    sold, by consent.selectors.sellable_condition's rule replayed over `directions`."""
    coming_of_age: datetime | None = None
    if consumer.birth_date is not None:
        coming_of_age = legal_clock.start_of_day(
            legal_clock.add_months(consumer.birth_date, 12 * settings.SALE_MINIMUM_AGE)
        )

    def allowed_at(moment: datetime) -> bool:
        state = _state_at(directions, moment)
        if state == OPTED_OUT:
            return False
        if state == OPTED_IN:
            # consent.services refuses an opt-in that the consumer's age does not allow, so a
            # recorded opt-in is a valid one.
            return True
        return coming_of_age is None or moment >= coming_of_age

    cuts = {start, end}
    cuts.update(when for when, _ in directions if start < when < end)
    if coming_of_age is not None and start < coming_of_age < end:
        cuts.add(coming_of_age)
    points = sorted(cuts)
    stretches: list[tuple[datetime, datetime]] = []
    for begin, finish in zip(points, points[1:], strict=False):
        if not allowed_at(begin):
            continue
        if stretches and stretches[-1][1] == begin:
            stretches[-1] = (stretches[-1][0], finish)
        else:
            stretches.append((begin, finish))
    return stretches


# --- The report ------------------------------------------------------------------------------


@dataclass
class _CategoryFacts:
    category: Category
    in_period: list[PersonalRecord] = field(default_factory=list)
    first_held_at: datetime | None = None  # earliest collection on or before receipt
    identity_collected_at: datetime | None = None  # set when the identity stands in

    def hold(self, when: datetime) -> None:
        if self.first_held_at is None or when < self.first_held_at:
            self.first_held_at = when


def know_report(*, privacy_request: PrivacyRequest) -> dict[str, Any]:
    """The report answering a verified request to know, as JSON-serializable data (dates as ISO
    8601 strings in the business's time zone). The rules are in this module's docstring.

    The caller has verified the request to the degree its type needs (11 CCR 7062); a request
    answered as categories (its specific pieces could not be verified) gets the categories
    report. Reads only; a fixed number of queries whatever the number of records.
    """
    if privacy_request.request_type not in RequestType.know_types():
        raise ValueError(f"Request {privacy_request.reference} is not a request to know.")
    consumer = privacy_request.consumer
    if consumer is None:
        raise ValueError(f"Request {privacy_request.reference} names no consumer yet.")
    specific = privacy_request.request_type == RequestType.KNOW_SPECIFIC
    end = privacy_request.received_at
    start = legal_clock.know_report_lookback_start(end)

    inventory = {category.pk: category for category in inventory_categories()}
    by_slug = {category.slug: category for category in inventory.values()}
    records = list(
        PersonalRecord.objects.filter(consumer=consumer, collected_at__lte=end)
        .select_related("source", "data_system")
        .order_by("collected_at", "pk")
    )

    facts: dict[int, _CategoryFacts] = {}
    for record in records:
        category = inventory[record.category_id]
        record.category = category  # the prefetched row: no query per record below
        entry = facts.setdefault(category.pk, _CategoryFacts(category))
        entry.hold(record.collected_at)
        if record.collected_at >= start:
            entry.in_period.append(record)
    for field_name, slug in IDENTITY_CATEGORIES.items():
        identity_category = by_slug.get(slug)
        if (
            identity_category is None
            or not getattr(consumer, field_name)
            or consumer.created_at > end
            # The records say when it was really collected; the registry row's creation date
            # (an import, say) stands in only when there is no record of the category at all.
            or identity_category.pk in facts
        ):
            continue
        entry = facts.setdefault(identity_category.pk, _CategoryFacts(identity_category))
        entry.hold(consumer.created_at)
        if not entry.in_period and consumer.created_at >= start:
            entry.identity_collected_at = consumer.created_at

    ordered = sorted(facts.values(), key=lambda f: (f.category.display_order, f.category.name))
    collected = [f for f in ordered if f.in_period or f.identity_collected_at is not None]

    directions = _sale_directions(consumer, until=end)
    stretches = _sale_allowed_stretches(consumer, directions, start=start, end=end)

    def sold_in_period(entry: _CategoryFacts) -> bool:
        held_from = entry.first_held_at
        return held_from is not None and any(held_from <= until for _, until in stretches)

    def sales(category: Category) -> list[Sharing]:
        return [s for s in category.sharings.all() if s.kind == Sharing.Kind.SALE]

    def disclosures(category: Category) -> list[Sharing]:
        return [s for s in category.sharings.all() if s.kind == Sharing.Kind.DISCLOSURE]

    categories = []
    entry_sources: dict[int, list[Any]] = {}
    for entry in collected:
        category = entry.category
        if entry.in_period:
            sources = []
            for record in entry.in_period:
                if record.source not in sources:
                    sources.append(record.source)
            sources.sort(key=lambda s: (s.display_order, s.name))
            basis = "records"
            dates = [r.collected_at for r in entry.in_period]
        else:
            sources = list(category.sources.all())
            basis = "inventory"
            dates = [entry.identity_collected_at] if entry.identity_collected_at else []
        entry_sources[category.pk] = sources
        sold = sold_in_period(entry)
        categories.append(
            {
                "slug": category.slug,
                "name": category.name,
                "kind": category.kind,
                "description": category.description,
                "first_collected_at": _iso(min(dates)) if dates else None,
                "last_collected_at": _iso(max(dates)) if dates else None,
                "records_in_period": len(entry.in_period),
                "from_identity": not entry.in_period,
                "sources": [_ref(s) for s in sources],
                "sources_basis": basis,
                "purposes": [_ref(p) for p in category.purposes.all()],
                "disclosed_to": [_third_party(s) for s in disclosures(category)],
                "sold": sold and bool(sales(category)),
                "sold_to": [_third_party(s) for s in sales(category)] if sold else [],
            }
        )

    # Section III's list, each item gathered over the categories above, in inventory order.
    sources_union: dict[str, tuple[tuple[int, str], dict[str, Any]]] = {}
    purposes_union: dict[str, tuple[tuple[int, str], dict[str, Any]]] = {}
    for entry, item in zip(collected, categories, strict=True):
        source_rows = entry_sources[entry.category.pk]
        for union, rows in (
            (sources_union, source_rows),
            (purposes_union, entry.category.purposes.all()),
        ):
            for row in rows:
                key = (row.display_order, row.name)
                union.setdefault(row.slug, (key, {**_ref(row), "categories": []}))
                union[row.slug][1]["categories"].append(item["name"])
    disclosed_categories: list[dict[str, Any]] = []
    sold_categories: list[dict[str, Any]] = []
    third_parties: dict[str, dict[str, Any]] = {}
    for entry in ordered:
        category = entry.category
        shared = [(s, "disclosed") for s in disclosures(category)]
        if disclosures(category):
            disclosed_categories.append(
                {
                    "category": _ref(category),
                    "third_parties": [_third_party(s) for s in disclosures(category)],
                }
            )
        if sales(category) and sold_in_period(entry):
            sold_categories.append(
                {
                    "category": _ref(category),
                    "third_parties": [_third_party(s) for s in sales(category)],
                }
            )
            shared += [(s, "sold") for s in sales(category)]
        for sharing, how in shared:
            party = sharing.third_party
            third_parties.setdefault(
                party.slug,
                {**_ref(party), "order": party.display_order, "disclosed": [], "sold": []},
            )
            if category.name not in third_parties[party.slug][how]:
                third_parties[party.slug][how].append(category.name)
    third_party_list = sorted(third_parties.values(), key=lambda p: (p["order"], p["name"]))
    for party_row in third_party_list:
        del party_row["order"]

    purposes_for_selling: list[str] = []
    for sold_item in sold_categories:
        for sold_to in sold_item["third_parties"]:
            if sold_to["reason"] not in purposes_for_selling:
                purposes_for_selling.append(sold_to["reason"])

    orders = list(
        Order.objects.filter(consumer=consumer, placed_at__gte=start, placed_at__lte=end)
        .select_related("data_system")
        .order_by("placed_at", "pk")
    )

    report: dict[str, Any] = {
        "report": {
            "version": REPORT_VERSION,
            "type": privacy_request.request_type,
            "title": RequestType(privacy_request.request_type).label,
            "generated_at": _iso(timezone.now()),
        },
        "business": {
            "name": settings.COMPANY_NAME,
            "privacy_email": settings.COMPANY_PRIVACY_EMAIL,
            "phone": settings.COMPANY_PHONE,
            "address": settings.COMPANY_ADDRESS,
        },
        "request": {
            "reference": privacy_request.reference,
            "type": privacy_request.request_type,
            "requested_type": privacy_request.requested_type or privacy_request.request_type,
            "received_at": _iso(end),
        },
        "period": {
            "start": _iso(start),
            "end": _iso(end),
            "months": settings.KNOW_REPORT_LOOKBACK_MONTHS,
        },
        "categories": categories,
        "sources": [row for _, row in sorted(sources_union.values(), key=lambda u: u[0])],
        "purposes": [row for _, row in sorted(purposes_union.values(), key=lambda u: u[0])],
        "third_parties": third_party_list,
        "disclosure": {
            "disclosed": bool(disclosed_categories),
            "categories": disclosed_categories,
        },
        "sale": _sale_section(
            sold_categories=sold_categories,
            purposes_for_selling=purposes_for_selling,
            stretches=stretches,
            opted_out_at_start=_state_at(directions, start) == OPTED_OUT,
            held_kinds_sold=any(sales(f.category) for f in ordered),
        ),
        "orders_in_period": len(orders),
    }
    if specific:
        report |= _specific_pieces(consumer, records=records, orders=orders, start=start)
    return report


def _sale_section(
    *,
    sold_categories: list[dict[str, Any]],
    purposes_for_selling: list[str],
    stretches: list[tuple[datetime, datetime]],
    opted_out_at_start: bool,
    held_kinds_sold: bool,
) -> dict[str, Any]:
    """Whether the consumer's personal information was sold in the period, and if not, why."""
    if sold_categories:
        status, explanation = "sold", ""
    elif not held_kinds_sold:
        status = "not_held"
        explanation = "We held none of the kinds of personal information we sell about you."
    elif not stretches and opted_out_at_start:
        status = "opted_out"
        explanation = (
            "You had told us not to sell your personal information before this period began, "
            "so we did not sell it at any time in the period."
        )
    elif not stretches:
        status = "under_age"
        explanation = (
            f"We do not sell the personal information of consumers under "
            f"{settings.SALE_MINIMUM_AGE} unless they, or a parent or guardian, allow it, so we "
            "did not sell yours at any time in the period."
        )
    else:
        status = "not_held_while_allowed"
        explanation = (
            "We held none of the kinds of personal information we sell about you while their "
            "sale was allowed in this period."
        )
    return {
        "sold": bool(sold_categories),
        "status": status,
        "explanation": explanation,
        "categories": sold_categories,
        "purposes_for_selling": purposes_for_selling,
        "sale_allowed": [
            {"from": _iso(begin), "to": _iso(finish)}
            for begin, finish in stretches
            if finish - begin > timedelta(0)
        ],
    }


def _specific_pieces(
    consumer: Consumer,
    *,
    records: Iterable[PersonalRecord],
    orders: list[Order],
    start: datetime,
) -> dict[str, Any]:
    masker = _Masker()
    identity = []
    for name in IDENTITY_FIELDS:
        raw = getattr(consumer, name)
        if raw in (None, ""):
            continue
        label = str(getattr(Consumer._meta.get_field(name), "verbose_name", name))
        value = raw.isoformat() if hasattr(raw, "isoformat") else masker.text(str(raw))
        identity.append({"field": name, "label": label[:1].upper() + label[1:], "value": value})

    account = None
    withheld_kinds: set[str] = set()
    user = consumer.user
    if user is not None:
        account = {
            "username": user.get_username(),
            "email": user.email,
            "created_at": _iso(user.date_joined),
            "last_login_at": _iso(user.last_login),
        }
        if user.has_usable_password():
            withheld_kinds.add(ACCOUNT_PASSWORD)

    pieces = []
    for record in sorted(
        (r for r in records if r.collected_at >= start),
        key=lambda r: (r.category.display_order, r.category.name, r.collected_at, r.pk),
    ):
        pieces.append(
            {
                "category": record.category.slug,
                "category_name": record.category.name,
                "value": masker.text(record.value),
                "details": masker.value(record.details or {}),
                "collected_at": _iso(record.collected_at),
                "source": record.source.name,
                "data_system": record.data_system.name,
            }
        )

    order_pieces = [
        {
            "order_number": masker.text(order.order_number),
            "placed_at": _iso(order.placed_at),
            "items": masker.text(order.items),
            "total": str(order.total),
            "data_system": order.data_system.name,
        }
        for order in orders
    ]

    withheld_kinds |= masker.kinds
    withheld = [
        {"kind": kind, "label": WITHHELD[kind][0], "statement": WITHHELD[kind][1]}
        for kind in WITHHELD
        if kind in withheld_kinds
    ]
    return {
        "identity": identity,
        "account": account,
        "pieces": pieces,
        "orders": order_pieces,
        "withheld": withheld,
    }
