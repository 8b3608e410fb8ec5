"""How every part of the report writes a date, an inventory entry and a sharing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import legal_clock
from inventory.models import Category, Sharing


def iso(instant: datetime | None) -> str | None:
    """An instant as ISO 8601 in the business's time zone (its first ten characters are the
    business date the consumer reads)."""
    if instant is None:
        return None
    return instant.astimezone(legal_clock.business_zone()).isoformat(timespec="seconds")


def ref(entry: Any) -> dict[str, str]:
    return {"slug": entry.slug, "name": entry.name, "description": entry.description}


def third_party(sharing: Sharing) -> dict[str, Any]:
    return {"third_party": ref(sharing.third_party), "reason": sharing.reason}


def sales(category: Category) -> list[Sharing]:
    """The inventory's sale Sharings of the category (prefetched by inventory_categories)."""
    return [s for s in category.sharings.all() if s.kind == Sharing.Kind.SALE]


def disclosures(category: Category) -> list[Sharing]:
    """The inventory's disclosure Sharings of the category."""
    return [s for s in category.sharings.all() if s.kind == Sharing.Kind.DISCLOSURE]
