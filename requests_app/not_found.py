"""The portal's own "we couldn't find that request" page, for an unknown, malformed or
someone else's reference, with DEBUG on as well as off.

With DEBUG on, Django answers every Http404 with its technical page, which lists the URL
patterns: the first thing a newcomer trying a reference saw. A reference that does not open
is the consumer's everyday mistake (a typo, another browser, an expired link), not a
developer's, so it gets the page that says what to do, with status 404, in either mode.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render


class RequestNotFound(Http404):
    """No request this browser may see has this reference. The same for a reference nobody
    has and for another person's request, so the page tells nobody which requests exist."""


def request_not_found_page(http_request) -> HttpResponse:
    return render(http_request, "requests/not_found.html", status=404)


def malformed_reference(http_request, **_path) -> HttpResponse:
    """Any address under /requests/ that no pattern took, such as a mistyped reference.
    Answered without a query: the text never reaches the database."""
    return request_not_found_page(http_request)


class RequestNotFoundMiddleware:
    """Turns RequestNotFound, from any view, into the portal's page before Django's handler
    (whose DEBUG page would list the URLs) sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, http_request):
        return self.get_response(http_request)

    def process_exception(self, http_request, exception):
        if isinstance(exception, RequestNotFound):
            return request_not_found_page(http_request)
        return None
