"""The specific pieces (know_specific only): the identity held now, the login account, every
record and order of the period, each masked where the law forbids disclosing it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from registry.models import Consumer, Order, PersonalRecord

from .masking import ACCOUNT_PASSWORD, Masker, withheld_entries
from .shared import iso

# What the specific-pieces report shows of the Consumer row, in this order.
IDENTITY_FIELDS = ("full_name", "email", "phone", "birth_date", "shop_customer_id")


def _identity(consumer: Consumer, masker: Masker) -> list[dict[str, Any]]:
    identity = []
    for name in IDENTITY_FIELDS:
        raw = getattr(consumer, name)
        if raw in (None, ""):
            continue
        label = str(getattr(Consumer._meta.get_field(name), "verbose_name", name))
        value = raw.isoformat() if hasattr(raw, "isoformat") else masker.text(str(raw))
        identity.append({"field": name, "label": label[:1].upper() + label[1:], "value": value})
    return identity


def _account(consumer: Consumer) -> dict[str, Any] | None:
    user = consumer.user
    if user is None:
        return None
    return {
        "username": user.get_username(),
        "email": user.email,
        "created_at": iso(user.date_joined),
        "last_login_at": iso(user.last_login),
    }


def _record_pieces(
    records: Iterable[PersonalRecord], *, start: datetime, masker: Masker
) -> list[dict[str, Any]]:
    return [
        {
            "category": record.category.slug,
            "category_name": record.category.name,
            "value": masker.text(record.value),
            "details": masker.value(record.details or {}),
            "collected_at": iso(record.collected_at),
            "source": record.source.name,
            "data_system": record.data_system.name,
        }
        for record in sorted(
            (r for r in records if r.collected_at >= start),
            key=lambda r: (r.category.display_order, r.category.name, r.collected_at, r.pk),
        )
    ]


def _order_pieces(orders: list[Order], *, masker: Masker) -> list[dict[str, Any]]:
    return [
        {
            "order_number": masker.text(order.order_number),
            "placed_at": iso(order.placed_at),
            "items": masker.text(order.items),
            "total": str(order.total),
            "data_system": order.data_system.name,
        }
        for order in orders
    ]


def specific_pieces(
    consumer: Consumer,
    *,
    records: Iterable[PersonalRecord],
    orders: list[Order],
    start: datetime,
) -> dict[str, Any]:
    masker = Masker()
    identity = _identity(consumer, masker)
    account = _account(consumer)
    pieces = _record_pieces(records, start=start, masker=masker)
    order_pieces = _order_pieces(orders, masker=masker)
    withheld_kinds = set(masker.kinds)
    if consumer.user is not None and consumer.user.has_usable_password():
        withheld_kinds.add(ACCOUNT_PASSWORD)
    return {
        "identity": identity,
        "account": account,
        "pieces": pieces,
        "orders": order_pieces,
        "withheld": withheld_entries(withheld_kinds),
    }
