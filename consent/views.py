from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Category
from .selectors import inventory_categories


@require_GET
def what_we_collect(request):
    categories = list(inventory_categories())
    return render(
        request,
        "consent/what_we_collect.html",
        {
            "categories": [c for c in categories if c.kind == Category.Kind.CATEGORY],
            "details": [c for c in categories if c.kind == Category.Kind.DETAIL],
        },
    )
