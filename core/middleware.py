"""No page of the portal is kept by a browser's or a proxy's cache (issue 10, item 5).

Request pages, "my requests", the staff queue and request page show personal data; most other
pages carry a session's CSRF token or its messages. Rather than remember `never_cache` on every
view with personal data (and forget one), every response from a view is `no-store` unless the
view chose its own Cache-Control. Static files never reach this middleware: whitenoise, before
it, answers them with their own long-lived headers.
"""

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            # max-age=0, no-cache, no-store, must-revalidate, private (and Expires).
            add_never_cache_headers(response)
        return response
