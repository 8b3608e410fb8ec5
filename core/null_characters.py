"""Requests that carry a NUL character (U+0000) are answered 400, with a page that says why.

PostgreSQL cannot store text holding NUL, nor even compare with it: a query that carries one
fails with DataError, which was a 500. The portal's forms refuse it already (Django's
ProhibitNullCharactersValidator, with a message beside the field), but not everything read
from a request goes through a form: the admin's searches and list filters, a reference in a
query string (found by tests/test_fuzz_staff_forms.py: `?status__exact=%00` in the admin).
No browser sends NUL for anything a person typed, so one check here covers every view,
before any of them can hand the character to the database.
"""

from django.shortcuts import render

NUL = "\x00"


def _carries_nul(query_dict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists()
    )


class NullCharactersRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        posted = request.POST if request.method == "POST" else None
        if NUL in request.path or _carries_nul(request.GET) or (posted and _carries_nul(posted)):
            return render(request, "400.html", {"null_character": True}, status=400)
        return self.get_response(request)
