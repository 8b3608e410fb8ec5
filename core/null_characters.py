"""The admin answers a NUL character (U+0000) in its address with a 400 and a page saying why.

PostgreSQL cannot store text holding NUL, nor even compare with it: a query that carries one
fails with DataError, a 500. The portal's own forms refuse it beside the field (Django's
ProhibitNullCharactersValidator) and its own pages check what they read from an address; the
admin's list filters take the query string straight to the database (found by
tests/test_fuzz_staff_forms.py: `?status__exact=%00`). No browser sends NUL for anything a
person typed, so a query string under /admin/ that holds one is refused before the admin sees
it. Forms the admin posts keep their own, field-level, messages.
"""

from django.shortcuts import render
from django.urls import reverse

NUL = "\x00"


def _carries_nul(query_dict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists()
    )


class AdminNullCharactersRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(reverse("admin:index")) and _carries_nul(request.GET):
            return render(request, "400.html", {"null_character": True}, status=400)
        return self.get_response(request)
