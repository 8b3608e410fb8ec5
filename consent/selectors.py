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
