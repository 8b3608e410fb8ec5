"""The public page of the data inventory."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import inventory_page


@require_GET
def what_we_collect(request):
    """The notice's section I, rendered from the inventory the privacy officer keeps."""
    page = inventory_page()
    return render(
        request,
        "inventory/what_we_collect.html",
        {
            "categories": page.categories,
            "details": page.details,
            # The headed categories at the top level (h2), then the further details under a
            # heading of their own (h3), so the outline stays correct for screen readers.
            "sections": [
                {"id": "", "title": "", "entries": page.categories, "level": 2},
                {
                    "id": "further-details",
                    "title": "Further details we collect",
                    "entries": page.details,
                    "level": 3,
                },
            ],
        },
    )
