"""Reads of the data inventory: its categories with everything they refer to loaded at once,
the public page's outline, and what is sold."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from .models import Category, Sharing


def inventory_categories() -> QuerySet[Category]:
    """Every category with its sources, purposes and sharings loaded: a fixed number of queries
    however many categories there are."""
    return Category.objects.prefetch_related(
        "sources",
        "purposes",
        Prefetch("sharings", queryset=Sharing.objects.select_related("third_party")),
    )


@dataclass(frozen=True)
class InventoryEntryView:
    """One category as the public page shows it: the row, and its sharings split by kind."""

    category: Category
    sales: list[Sharing]
    disclosures: list[Sharing]


@dataclass(frozen=True)
class InventoryPage:
    categories: list[InventoryEntryView]
    details: list[InventoryEntryView]


def inventory_page() -> InventoryPage:
    """The /what-we-collect/ page's data: the headed categories of the notice's section I, then
    the further details, in display order. Four queries, whatever the size of the inventory."""
    categories: list[InventoryEntryView] = []
    details: list[InventoryEntryView] = []
    for category in inventory_categories():
        sharings = list(category.sharings.all())
        entry = InventoryEntryView(
            category=category,
            sales=[s for s in sharings if s.kind == Sharing.Kind.SALE],
            disclosures=[s for s in sharings if s.kind == Sharing.Kind.DISCLOSURE],
        )
        (categories if category.kind == Category.Kind.CATEGORY else details).append(entry)
    return InventoryPage(categories=categories, details=details)


def sold_categories() -> QuerySet[Category]:
    """The categories of personal information the inventory says are sold, with the third
    parties they are sold to: what the Do Not Sell page tells the consumer."""
    return (
        Category.objects.filter(sharings__kind=Sharing.Kind.SALE)
        .distinct()
        .prefetch_related(
            Prefetch(
                "sharings",
                queryset=Sharing.objects.filter(kind=Sharing.Kind.SALE).select_related(
                    "third_party"
                ),
                to_attr="sales",
            )
        )
    )
