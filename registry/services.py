"""Business rules of the consumer registry.

`consumer_import` is how the shop's systems feed the registry: the import_consumers command,
seed_demo and the tests all call it. The row format is documented in docs/import-format.md.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone

from core import legal_clock
from inventory.models import Category, Source

from .models import Consumer, DataSystem, Order, PersonalRecord
from .normalize import normalize_email, normalize_phone
from .suppression import is_suppressed

logger = logging.getLogger(__name__)

# Slugs fixed by the inventory (seeded by consent migration 0002) and registry migration 0002.
SHOP_DATABASE = "shop-database"
DIRECTLY_FROM_YOU = "directly-from-you"
NAME = "name"
EMAIL_ADDRESS = "email-address"
SHIPPING_ADDRESS = "shipping-address"
TELEPHONE_NUMBER = "telephone-number"
CREDIT_CARD_DETAILS = "credit-card-details"
DEMOGRAPHIC_INFORMATION = "demographic-information"

# What the consumer's own columns become in the inventory's terms.
FIELD_CATEGORIES = (
    NAME,
    EMAIL_ADDRESS,
    TELEPHONE_NUMBER,
    SHIPPING_ADDRESS,
    DEMOGRAPHIC_INFORMATION,
)

# The columns (CSV) and keys (JSON) a consumer row may have; the import command warns about
# any other column, since a misspelt one would otherwise be dropped without a word.
ROW_FIELDS = (
    "customer_id",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "collected_at",
    "source",
    "order_number",
    "order_placed_at",
    "order_items",
    "order_total",
    "records",
    "orders",
)
REQUIRED_FIELDS = ("customer_id", "full_name", "email")
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "zip_code")

ZIP_CODE = re.compile(r"^\d{5}(-\d{4})?$")
STATE = re.compile(r"^[A-Z]{2}$")
# 13 to 19 digits, optionally grouped by spaces or dashes: the shape of a payment card number.
CARD_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# A timestamp this far ahead of the clock is a mistake in the file, not clock skew.
FUTURE_TOLERANCE = timedelta(days=1)
# A row for someone erased at their request (registry.suppression): never created again.
SUPPRESSED_REASON = "deleted at the person's request; not re-imported"


class ConsumerImportError(Exception):
    """The import cannot start at all (for example, the inventory has not been seeded)."""


class RowRejected(Exception):
    """One row cannot be imported; `problems` says why, in plain words."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RejectedRow:
    number: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.number}: {self.reason}"


@dataclass
class ConsumerImportResult:
    source_label: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source_label}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected."
        )


@dataclass
class _Record:
    category: Category
    value: str
    details: dict[str, Any]
    source: Source
    data_system: DataSystem
    collected_at: datetime | None  # None: keep an existing record's, or now for a new one


@dataclass
class _Order:
    order_number: str
    placed_at: datetime
    items: str
    total: Decimal


@dataclass
class _Row:
    customer_id: str
    full_name: str
    email: str
    phone: str  # "" when the row gives none: the consumer's phone is left as it is
    birth_date: date | None
    records: list[_Record]
    orders: list[_Order]


@dataclass
class _Lookups:
    """The reference rows a row may name, loaded once per import (one query per table)."""

    categories: dict[str, Category]
    sources: dict[str, Source]
    data_systems: dict[str, DataSystem]

    @classmethod
    def load(cls) -> _Lookups:
        lookups = cls(
            categories={c.slug: c for c in Category.objects.all()},
            sources={s.slug: s for s in Source.objects.all()},
            data_systems={d.slug: d for d in DataSystem.objects.all()},
        )
        missing = [
            f"category '{slug}'" for slug in FIELD_CATEGORIES if slug not in lookups.categories
        ]
        if DIRECTLY_FROM_YOU not in lookups.sources:
            missing.append(f"source '{DIRECTLY_FROM_YOU}'")
        if SHOP_DATABASE not in lookups.data_systems:
            missing.append(f"data system '{SHOP_DATABASE}'")
        if missing:
            raise ConsumerImportError(
                f"the inventory lacks {', '.join(missing)}: run `manage.py migrate` first"
            )
        return lookups


def consumer_import(
    *, rows: Iterable[Mapping[str, Any]], source_label: str, first_row_number: int = 1
) -> ConsumerImportResult:
    """Create or update consumers, their personal records and orders from the shop's rows.

    Consumers are matched on the shop's customer id. For each category a row gives (its name,
    email, phone, address, birth date, and any nested `records`), the consumer's records of that
    category in that data system become exactly the row's: equal values are kept, changed ones
    updated, values the row no longer has removed. Categories the row says nothing about are
    left alone, and orders are added or updated by order number, never removed: the import never
    deletes by omission (deletion is a request with its own trail). So importing the same rows
    twice changes nothing the second time.

    A row whose email address or phone number belongs to someone erased at their request (the
    suppression list, DESIGN.md "delete") is rejected and creates nothing.

    Each row is validated, then saved in its own transaction; a rejected row is reported with
    its number (counted from `first_row_number`) and reasons, and never stops the rows after it.
    Permission to import belongs to the caller (the command is run by operators).
    """
    lookups = _Lookups.load()
    result = ConsumerImportResult(source_label=source_label)
    now = timezone.now()
    for number, row in enumerate(rows, start=first_row_number):
        try:
            parsed = _parse_row(row, lookups=lookups, now=now)
            if is_suppressed(email=parsed.email, phone=parsed.phone):
                raise RowRejected([SUPPRESSED_REASON])
            with transaction.atomic():
                outcome = _save_row(
                    parsed, shop_database=lookups.data_systems[SHOP_DATABASE], now=now
                )
        except RowRejected as exc:
            result.rejected.append(RejectedRow(number=number, reason=str(exc)))
            continue
        except DatabaseError as exc:
            logger.warning("Import %s: row %s could not be saved: %s", source_label, number, exc)
            result.rejected.append(
                RejectedRow(number=number, reason=f"could not be saved ({exc.__class__.__name__})")
            )
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


# --- Reading a row ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        raise TypeError
    return str(value).strip()


def _parse_row(row: Any, *, lookups: _Lookups, now: datetime) -> _Row:
    if not isinstance(row, Mapping):
        raise RowRejected(["is not an object with a consumer's fields"])
    if None in row:
        # csv.DictReader puts cells beyond the header under the key None.
        raise RowRejected(["has more cells than the header has columns"])

    problems: list[str] = []

    def text(key: str, *, max_length: int | None = None) -> str:
        try:
            value = _text(row.get(key))
        except TypeError:
            problems.append(f"{key} must be text")
            return ""
        if max_length and len(value) > max_length:
            problems.append(f"{key} is longer than {max_length} characters")
        return value

    customer_id = text("customer_id", max_length=64)
    if not customer_id:
        problems.append("customer_id is missing")
    full_name = text("full_name", max_length=200)
    if not full_name:
        problems.append("full_name is missing")

    raw_email = text("email", max_length=254)
    email = normalize_email(raw_email)
    if not raw_email:
        problems.append("email is missing")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"email '{raw_email}' is not an email address")

    raw_phone = text("phone")
    phone = ""
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone)
        except ValueError:
            problems.append(f"phone '{raw_phone}' is not a valid phone number")

    birth_date = None
    raw_birth_date = text("birth_date")
    if raw_birth_date:
        birth_date = _parse_date(raw_birth_date, "birth_date", problems)
        # Today in California, not UTC's date: that is tomorrow every evening from 4 or 5 p.m.
        if birth_date and not date(1900, 1, 1) <= birth_date <= legal_clock.today(now):
            problems.append(f"birth_date '{raw_birth_date}' is not a plausible date of birth")

    collected_at = _parse_moment(text("collected_at"), "collected_at", problems, now=now)
    source_slug = text("source") or DIRECTLY_FROM_YOU
    source = lookups.sources.get(source_slug)
    if source is None:
        problems.append(f"source '{source_slug}' is not in the inventory")

    address = _parse_address({key: text(key) for key in ADDRESS_FIELDS}, problems)

    records: list[_Record] = []
    shop_database = lookups.data_systems[SHOP_DATABASE]

    def own(category: str, value: str, details: dict[str, Any] | None = None) -> None:
        if source is not None:
            records.append(
                _Record(
                    category=lookups.categories[category],
                    value=value,
                    details=details or {},
                    source=source,
                    data_system=shop_database,
                    collected_at=collected_at,
                )
            )

    if full_name:
        own(NAME, full_name)
    if raw_email:
        own(EMAIL_ADDRESS, email)
    if phone:
        own(TELEPHONE_NUMBER, phone)
    if address:
        own(SHIPPING_ADDRESS, _address_line(address), address)
    if birth_date:
        own(
            DEMOGRAPHIC_INFORMATION,
            f"Date of birth: {birth_date.isoformat()}",
            {"birth_date": birth_date.isoformat()},
        )

    nested = row.get("records") or []
    if not isinstance(nested, list):
        problems.append("records must be a list")
        nested = []
    for index, item in enumerate(nested, start=1):
        record = _parse_record(
            item,
            label=f"record {index}",
            lookups=lookups,
            problems=problems,
            default_collected_at=collected_at,
            default_source=source,
            now=now,
        )
        if record:
            records.append(record)

    orders: list[_Order] = []
    if any(text(key) for key in ("order_number", "order_placed_at", "order_items", "order_total")):
        flat_order = {
            "order_number": row.get("order_number"),
            "placed_at": row.get("order_placed_at"),
            "items": row.get("order_items"),
            "total": row.get("order_total"),
        }
        order = _parse_order(flat_order, label="order", problems=problems, now=now)
        if order:
            orders.append(order)
    nested_orders = row.get("orders") or []
    if not isinstance(nested_orders, list):
        problems.append("orders must be a list")
        nested_orders = []
    for index, item in enumerate(nested_orders, start=1):
        order = _parse_order(item, label=f"order {index}", problems=problems, now=now)
        if order:
            orders.append(order)
    numbers = [o.order_number for o in orders]
    if len(numbers) != len(set(numbers)):
        problems.append("the same order number appears twice")

    if problems:
        raise RowRejected(problems)
    return _Row(
        customer_id=customer_id,
        full_name=full_name,
        email=email,
        phone=phone,
        birth_date=birth_date,
        records=records,
        orders=orders,
    )


def _parse_record(
    item: Any,
    *,
    label: str,
    lookups: _Lookups,
    problems: list[str],
    default_collected_at: datetime | None,
    default_source: Source | None,
    now: datetime,
) -> _Record | None:
    if not isinstance(item, Mapping):
        problems.append(f"{label} is not an object")
        return None
    count = len(problems)
    try:
        slug = _text(item.get("category"))
        value = _text(item.get("value"))
        source_slug = _text(item.get("source"))
        system_slug = _text(item.get("data_system")) or SHOP_DATABASE
        raw_collected_at = _text(item.get("collected_at"))
    except TypeError:
        problems.append(f"{label}: category, value, source, data_system and collected_at are text")
        return None

    category = lookups.categories.get(slug)
    if not slug:
        problems.append(f"{label}: category is missing")
    elif category is None:
        problems.append(f"{label}: category '{slug}' is not in the inventory")

    source = lookups.sources.get(source_slug) if source_slug else default_source
    if source_slug and source is None:
        problems.append(f"{label}: source '{source_slug}' is not in the inventory")

    data_system = lookups.data_systems.get(system_slug)
    if data_system is None:
        problems.append(f"{label}: data system '{system_slug}' does not exist")

    details = item.get("details") or {}
    if not isinstance(details, dict):
        problems.append(f"{label}: details must be an object")
        details = {}

    if slug == SHIPPING_ADDRESS:
        # An address record carries its parts, so verification can match the zip code alone;
        # its value is built from them, the same way as for the address columns.
        try:
            parts = {
                f"address_{key}" if key.startswith("line") else key: _text(details.get(key))
                for key in ("line1", "line2", "city", "state", "zip_code")
            }
        except TypeError:
            problems.append(f"{label}: the address parts in details must be text")
        else:
            if not any(parts.values()):
                problems.append(
                    f"{label}: a shipping address needs details line1, city, state and zip_code"
                )
            else:
                address = _parse_address(parts, problems, label=f"{label}: ")
                if address:
                    details = {**details, **address}
                    value = _address_line(address)
    if not value and slug != SHIPPING_ADDRESS:  # an address's problems are reported above
        problems.append(f"{label}: value is missing")

    # Only a card's brand, last four digits and expiry may be kept (the notice, "Credit card
    # details"): a full number must never land in the registry. Checked on card records only,
    # since other long numbers (a social network's numeric user id) would trip it by chance.
    if slug == CREDIT_CARD_DETAILS and (
        _contains_card_number(value) or _contains_card_number(json.dumps(details, default=str))
    ):
        problems.append(
            f"{label} looks like it holds a full card number; import only the brand, "
            "the last four digits and the expiry"
        )

    collected_at = (
        _parse_moment(raw_collected_at, f"{label}: collected_at", problems, now=now)
        if raw_collected_at
        else default_collected_at
    )

    if len(problems) > count or category is None or source is None or data_system is None:
        return None
    return _Record(
        category=category,
        value=value,
        details=details,
        source=source,
        data_system=data_system,
        collected_at=collected_at,
    )


def _parse_order(item: Any, *, label: str, problems: list[str], now: datetime) -> _Order | None:
    if not isinstance(item, Mapping):
        problems.append(f"{label} is not an object")
        return None
    count = len(problems)
    try:
        order_number = _text(item.get("order_number"))
        raw_placed_at = _text(item.get("placed_at"))
        raw_total = _text(item.get("total"))
        items_value = item.get("items")
        items = (
            "; ".join(_text(i) for i in items_value)
            if isinstance(items_value, list)
            else _text(items_value)
        )
    except TypeError:
        problems.append(f"{label}: order_number, placed_at, items and total are text")
        return None
    if not order_number:
        problems.append(f"{label}: order number is missing")
    elif len(order_number) > 40:
        problems.append(f"{label}: order number is longer than 40 characters")
    placed_at = None
    if not raw_placed_at:
        problems.append(f"{label}: the date it was placed is missing")
    else:
        placed_at = _parse_moment(raw_placed_at, f"{label}: placed_at", problems, now=now)
    if not items:
        problems.append(f"{label}: items are missing")
    total: Decimal | None = None
    if not raw_total:
        problems.append(f"{label}: total is missing")
    else:
        try:
            total = Decimal(raw_total)
            valid = (
                total.is_finite()
                and Decimal(0) <= total < Decimal(100_000_000)
                and total == total.quantize(Decimal("0.01"))
            )
        except InvalidOperation:
            valid = False
        if not valid:
            problems.append(f"{label}: total '{raw_total}' is not an amount (such as 59.90)")
            total = None
    if len(problems) > count or placed_at is None or total is None:
        return None
    return _Order(order_number=order_number, placed_at=placed_at, items=items, total=total)


def _parse_date(value: str, name: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} '{value}' is not a date (expected YYYY-MM-DD)")
        return None


def _parse_moment(value: str, name: str, problems: list[str], *, now: datetime) -> datetime | None:
    """A date (midnight in the business's time zone) or an ISO 8601 date and time; a time
    without an offset is in the business's time zone."""
    if not value:
        return None
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time.min)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        problems.append(
            f"{name} '{value}' is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00)"
        )
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now + FUTURE_TOLERANCE:
        problems.append(f"{name} '{value}' is in the future")
        return None
    return moment


def _parse_address(parts: dict[str, str], problems: list[str], *, label: str = "") -> dict | None:
    """The address columns as record details, or None when the row gives no address."""
    if not any(parts.values()):
        return None
    missing = [key for key in ("address_line1", "city", "state", "zip_code") if not parts.get(key)]
    if missing:
        problems.append(f"{label}the address lacks {', '.join(missing)}")
        return None
    state = parts["state"].upper()
    zip_code = parts["zip_code"]
    ok = True
    if not STATE.match(state):
        problems.append(f"{label}state '{parts['state']}' is not a two-letter state code")
        ok = False
    if not ZIP_CODE.match(zip_code):
        problems.append(f"{label}zip_code '{zip_code}' is not a US zip code (12345 or 12345-6789)")
        ok = False
    if not ok:
        return None
    return {
        "line1": parts["address_line1"],
        "line2": parts.get("address_line2", ""),
        "city": parts["city"],
        "state": state,
        "zip_code": zip_code,
    }


def _address_line(address: Mapping[str, str]) -> str:
    street = ", ".join(part for part in (address["line1"], address.get("line2")) if part)
    return f"{street}, {address['city']}, {address['state']} {address['zip_code']}"


def _contains_card_number(text: str) -> bool:
    for match in CARD_NUMBER.finditer(text):
        digits = [int(d) for d in re.sub(r"\D", "", match.group())]
        checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
        if checksum % 10 == 0:
            return True
    return False


# --- Saving a row -------------------------------------------------------------------------------


def _save_row(row: _Row, *, shop_database: DataSystem, now: datetime) -> str:
    """Write one validated row; return "created", "updated" or "unchanged". Runs inside the
    row's transaction."""
    # Locked so that two imports of the same customer at once cannot interleave their record
    # replacements; a second creator loses on the unique shop_customer_id and is rejected.
    consumer = Consumer.objects.select_for_update().filter(shop_customer_id=row.customer_id).first()
    created = consumer is None
    changed = False
    if consumer is None:
        consumer = Consumer.objects.create(
            shop_customer_id=row.customer_id,
            full_name=row.full_name,
            email=row.email,
            phone=row.phone,
            birth_date=row.birth_date,
        )
    else:
        wanted: dict[str, Any] = {"full_name": row.full_name, "email": row.email}
        if row.phone:
            wanted["phone"] = row.phone
        if row.birth_date:
            wanted["birth_date"] = row.birth_date
        fields = [name for name, value in wanted.items() if getattr(consumer, name) != value]
        if fields:
            for name in fields:
                setattr(consumer, name, wanted[name])
            consumer.save(update_fields=[*fields, "updated_at"])
            changed = True

    changed |= _replace_records(consumer, row.records, now=now)
    changed |= _upsert_orders(consumer, row.orders, shop_database=shop_database)
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def _replace_records(consumer: Consumer, records: list[_Record], *, now: datetime) -> bool:
    groups: dict[tuple[int, int], dict[str, _Record]] = {}
    for record in records:
        group = groups.setdefault((record.category.pk, record.data_system.pk), {})
        group.setdefault(record.value, record)  # the first of two equal values wins

    changed = False
    new: list[PersonalRecord] = []
    for (category_id, data_system_id), wanted in groups.items():
        existing = PersonalRecord.objects.filter(
            consumer=consumer, category_id=category_id, data_system_id=data_system_id
        ).order_by("pk")
        stale: list[int] = []
        for current in existing:
            if current.value not in wanted:
                stale.append(current.pk)
                continue
            record = wanted.pop(current.value)
            fields = []
            if current.details != record.details:
                current.details = record.details
                fields.append("details")
            if current.source_id != record.source.pk:
                current.source = record.source
                fields.append("source")
            if record.collected_at and current.collected_at != record.collected_at:
                current.collected_at = record.collected_at
                fields.append("collected_at")
            if fields:
                current.save(update_fields=fields)
                changed = True
        if stale:
            PersonalRecord.objects.filter(pk__in=stale).delete()
            changed = True
        new.extend(
            PersonalRecord(
                consumer=consumer,
                category=record.category,
                value=record.value,
                details=record.details,
                source=record.source,
                data_system=record.data_system,
                collected_at=record.collected_at or now,
            )
            for record in wanted.values()
        )
    if new:
        PersonalRecord.objects.bulk_create(new)
        changed = True
    return changed


def _upsert_orders(consumer: Consumer, orders: list[_Order], *, shop_database: DataSystem) -> bool:
    if not orders:
        return False
    existing = {
        o.order_number: o
        for o in Order.objects.select_for_update().filter(
            order_number__in=[o.order_number for o in orders]
        )
    }
    changed = False
    for order in orders:
        current = existing.get(order.order_number)
        if current is None:
            Order.objects.create(
                consumer=consumer,
                order_number=order.order_number,
                placed_at=order.placed_at,
                items=order.items,
                total=order.total,
                data_system=shop_database,
            )
            changed = True
            continue
        if current.consumer_id != consumer.pk:
            raise RowRejected([f"order '{order.order_number}' belongs to another customer"])
        fields = [
            name
            for name in ("placed_at", "items", "total")
            if getattr(current, name) != getattr(order, name)
        ]
        if fields:
            for name in fields:
                setattr(current, name, getattr(order, name))
            current.save(update_fields=fields)
            changed = True
    return changed


def records_past_retention_purge(*, now) -> int:
    """Delete personal records kept longer than their category's retention period (the
    inventory's retention_days; saved payment cards: one year, the notice)."""
    deleted = 0
    for category in Category.objects.filter(retention_days__isnull=False):
        before = legal_clock.kept_until_passed(now=now, days=category.retention_days or 0)
        count, _ = PersonalRecord.objects.filter(
            category=category, collected_at__lt=before
        ).delete()
        deleted += count
    return deleted
