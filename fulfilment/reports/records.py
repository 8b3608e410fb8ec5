"""The consumer's records, category by category: which categories were held by the receipt of the
request, which were collected in the period, and section III's lists of them (the "Categories
collected", "Sources" and "Purposes" rules of fulfilment.reports)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inventory.models import Category
from inventory.selectors import inventory_categories
from registry.models import Consumer, PersonalRecord

from .shared import disclosures, iso, ref, sales, third_party

# The identity fields of Consumer, and the inventory category each one is an instance of. The
# slugs are stable (consent migration 0002): the officer edits names, never slugs.
IDENTITY_CATEGORIES = {
    "full_name": "name",
    "email": "email-address",
    "phone": "telephone-number",
}


@dataclass
class CategoryFacts:
    category: Category
    in_period: list[PersonalRecord] = field(default_factory=list)
    first_held_at: datetime | None = None  # earliest collection on or before receipt
    identity_collected_at: datetime | None = None  # set when the identity stands in

    def hold(self, when: datetime) -> None:
        if self.first_held_at is None or when < self.first_held_at:
            self.first_held_at = when

    @property
    def collected_in_period(self) -> bool:
        return bool(self.in_period) or self.identity_collected_at is not None


@dataclass(frozen=True)
class HeldCategories:
    records: list[PersonalRecord]  # every record collected by receipt, oldest first
    held: list[CategoryFacts]  # every category held by receipt, in inventory order

    @property
    def collected(self) -> list[CategoryFacts]:
        """The categories collected in the period."""
        return [entry for entry in self.held if entry.collected_in_period]


def categories_held(consumer: Consumer, *, start: datetime, end: datetime) -> HeldCategories:
    """The consumer's records up to receipt (`end`), gathered by inventory category, with the
    identity on the Consumer row standing in for a category no record holds. Two queries for
    the records and one set for the inventory, whatever the number of records."""
    inventory = {category.pk: category for category in inventory_categories()}
    by_slug = {category.slug: category for category in inventory.values()}
    records = list(
        PersonalRecord.objects.filter(consumer=consumer, collected_at__lte=end)
        .select_related("source", "data_system")
        .order_by("collected_at", "pk")
    )
    facts: dict[int, CategoryFacts] = {}
    for record in records:
        category = inventory[record.category_id]
        record.category = category  # the prefetched row: no query per record below
        entry = facts.setdefault(category.pk, CategoryFacts(category))
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
        entry = facts.setdefault(identity_category.pk, CategoryFacts(identity_category))
        entry.hold(consumer.created_at)
        if not entry.in_period and consumer.created_at >= start:
            entry.identity_collected_at = consumer.created_at
    held = sorted(facts.values(), key=lambda f: (f.category.display_order, f.category.name))
    return HeldCategories(records=records, held=held)


def _sources(entry: CategoryFacts) -> tuple[list[Any], str, list[datetime]]:
    """Where the category's data came from, on what basis, and when it was collected."""
    if entry.in_period:
        sources = []
        for record in entry.in_period:
            if record.source not in sources:
                sources.append(record.source)
        sources.sort(key=lambda s: (s.display_order, s.name))
        return sources, "records", [r.collected_at for r in entry.in_period]
    dates = [entry.identity_collected_at] if entry.identity_collected_at else []
    return list(entry.category.sources.all()), "inventory", dates


@dataclass(frozen=True)
class CollectedSections:
    categories: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    purposes: list[dict[str, Any]]


def collected_sections(
    collected: list[CategoryFacts], *, sold_in_period: Callable[[CategoryFacts], bool]
) -> CollectedSections:
    """Section III's categories collected, and its sources and purposes, each gathered over the
    categories in inventory order."""
    categories = []
    sources_union: dict[str, tuple[tuple[int, str], dict[str, Any]]] = {}
    purposes_union: dict[str, tuple[tuple[int, str], dict[str, Any]]] = {}
    for entry in collected:
        category = entry.category
        sources, basis, dates = _sources(entry)
        sold = sold_in_period(entry)
        categories.append(
            {
                "slug": category.slug,
                "name": category.name,
                "kind": category.kind,
                "description": category.description,
                "first_collected_at": iso(min(dates)) if dates else None,
                "last_collected_at": iso(max(dates)) if dates else None,
                "records_in_period": len(entry.in_period),
                "from_identity": not entry.in_period,
                "sources": [ref(s) for s in sources],
                "sources_basis": basis,
                "purposes": [ref(p) for p in category.purposes.all()],
                "disclosed_to": [third_party(s) for s in disclosures(category)],
                "sold": sold and bool(sales(category)),
                "sold_to": [third_party(s) for s in sales(category)] if sold else [],
            }
        )
        for union, rows in ((sources_union, sources), (purposes_union, category.purposes.all())):
            for row in rows:
                key = (row.display_order, row.name)
                union.setdefault(row.slug, (key, {**ref(row), "categories": []}))
                union[row.slug][1]["categories"].append(category.name)
    return CollectedSections(
        categories=categories,
        sources=[row for _, row in sorted(sources_union.values(), key=lambda u: u[0])],
        purposes=[row for _, row in sorted(purposes_union.values(), key=lambda u: u[0])],
    )
