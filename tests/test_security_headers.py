"""Security headers and cookie flags on every page, and public lookups that never tell whether a
person is known (issue 10: item 5 and proof suite item 5).

Every page: a Content-Security-Policy with nothing from another origin and no framing,
X-Frame-Options DENY, nosniff, a same-origin Referrer-Policy and `Cache-Control: no-store`
(decided for every page, not only those with personal data: most carry a session's CSRF token
or messages, and a forgotten decorator must not leak a request page). Every cookie: HttpOnly
and SameSite, and Secure under the production settings.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories
from tests.staff_helpers import signed_in, staff_in_role
from tests.test_settings import PRODUCTION_KEY, run_manage

pytestmark = pytest.mark.django_db

REFERENCE = "PR-2026-000001"
REFERENCE_PATTERN = re.compile(r"PR-\d{4}-[0-9A-Z]+(?:-[0-9A-Z]+)*")
TOKEN = "1.not-a-real-secret"


def walk(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(route: str) -> str | None:
    """A URL for the route, parameters filled with a reference or a token that matches nothing;
    None for the admin's regular-expression routes (covered by their named pages)."""
    if "(?P<" in route or route.startswith("^"):
        return None
    values = {"reference": REFERENCE, "file_format": "json", "action": "note", "id": "1"}
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), TOKEN), route)


def every_url() -> list[str]:
    urls = {concrete(route) for route in walk()}
    return sorted(url for url in urls if url is not None)


def assert_secure_headers(response, url):
    csp = response.get("Content-Security-Policy", "")
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    assert directives.get("default-src") == ["'self'"], (url, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (url, csp)
    assert directives.get("object-src") == ["'none'"], (url, csp)
    assert directives.get("base-uri") == ["'self'"], (url, csp)
    assert directives.get("form-action") == ["'self'"], (url, csp)
    assert not any("unsafe" in value for values in directives.values() for value in values), csp
    assert response.get("X-Frame-Options") == "DENY", url
    assert response.get("X-Content-Type-Options") == "nosniff", url
    assert response.get("Referrer-Policy") == "same-origin", url
    assert "no-store" in response.get("Cache-Control", ""), (url, response.get("Cache-Control"))


def consumer_signed_in(consumer) -> Client:
    assert consumer.user is not None
    client = Client()
    client.force_login(consumer.user)
    return client


def browsers():
    return {
        "anonymous": Client(),
        "consumer": consumer_signed_in(factories.consumer_with_account(email="dana@example.com")),
        "officer": signed_in(staff_in_role("Privacy officer", "olga")),
    }


def test_every_page_has_the_security_headers_for_every_kind_of_visitor():
    factories.PrivacyRequestFactory.create(reference=REFERENCE)
    checked = 0
    for who, client in browsers().items():
        for url in every_url():
            if url.endswith("/sign-out/") or url.startswith("/admin/logout/"):
                continue  # signing out would change the browser for the next URL
            response = client.get(url)
            # /healthz says 503 here: no sweep has run in the test database.
            assert response.status_code < 500 or url == "/healthz", (who, url, response)
            assert_secure_headers(response, f"{who} {url}")
            checked += 1
    assert checked > 200  # every route, three times (the admin's pages included)


def test_error_pages_and_posts_have_the_security_headers_too(client):
    for response in (
        client.get("/no-such-page/"),
        client.get(f"/requests/{REFERENCE}/"),
        client.post("/requests/status/", {}),
        client.post("/account/sign-in/", {"username": "x@example.com", "password": "x"}),
    ):
        assert_secure_headers(response, response.request["PATH_INFO"])


# --- Pages with personal data are never stored (issue 10, item 5) --------------------------------


def test_pages_with_personal_data_are_never_stored():
    dana = factories.consumer_with_account(email="dana@example.com")
    request = factories.PrivacyRequestFactory.create(
        requester_user=dana.user, requester_email="dana@example.com"
    )
    consumer = consumer_signed_in(dana)
    officer = signed_in(staff_in_role("Privacy officer", "olga"))

    pages = [
        consumer.get(f"/requests/{request.reference}/"),
        consumer.get("/requests/"),
        officer.get("/staff/"),
        officer.get(f"/staff/requests/{request.reference}/"),
        officer.post(f"/staff/requests/{request.reference}/reveal/"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert request.reference in page.text  # the page is about the request
        cache_control = {part.strip() for part in page["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache_control


def test_static_files_keep_their_own_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic

    response = Client().get("/static/favicon.svg")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- Cookies -------------------------------------------------------------------------------------


def cookies_the_portal_sets(settings_overrides=None) -> dict:
    """Every cookie a visit sets: the CSRF cookie (a form), the session (signing in), messages
    (a flash message without a session: signing out), and the Global Privacy Control cookie."""
    dana = factories.consumer_with_account(email="dana@example.com")
    client = Client()
    jar = {}
    for response in (
        client.get("/account/sign-in/"),
        client.post(
            "/account/sign-in/", {"username": dana.user.username, "password": factories.PASSWORD}
        ),
        client.post("/do-not-sell/", {"identifier": "someone@example.com"}),
        Client().get("/", HTTP_SEC_GPC="1"),
        signed_in(staff_in_role("Customer care", "carl")).post("/staff/sign-out/"),
    ):
        jar.update({name: morsel for name, morsel in response.cookies.items() if morsel.value})
    return jar


def test_every_cookie_is_http_only_and_same_site():
    jar = cookies_the_portal_sets()

    assert {"csrftoken", "sessionid", "dp_sale_opt_out", "messages"} <= set(jar)
    for name, morsel in jar.items():
        assert morsel["httponly"], name
        assert morsel["samesite"] in ("Lax", "Strict"), name


def test_under_the_production_cookie_settings_every_cookie_is_secure(settings):
    # What DEBUG=false sets (held by the next test), applied to this test process.
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    jar = cookies_the_portal_sets()

    assert {"csrftoken", "sessionid", "dp_sale_opt_out", "messages"} <= set(jar)
    for name, morsel in jar.items():
        assert morsel["secure"], name


def test_production_settings_make_the_cookies_secure_and_send_hsts():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT)",
        DEBUG="false",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="privacy.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["True"] * 6


# --- The same answer for a known and an unknown person ------------------------------------------


def normalized(response, *typed: str) -> tuple[int, str, str]:
    """Status, redirect and page, without what differs by nature: the tokens of each rendering,
    what the visitor typed (echoed back in the form), and a request's reference."""
    text = re.sub(
        r'(name="(?:csrfmiddlewaretoken|submission_token)" value=)"[^"]*"',
        r"\1",
        response.content.decode(),
    )
    for value in typed:
        text = text.replace(value, "TYPED")
    text = REFERENCE_PATTERN.sub("REFERENCE", text)
    location = REFERENCE_PATTERN.sub("REFERENCE", response.get("Location", ""))
    return response.status_code, location, text


def known_and_unknown(post, known: str, unknown: str):
    """The same lookup for someone we know and for no one, each from a fresh browser."""
    return normalized(post(Client(), known), known), normalized(post(Client(), unknown), unknown)


def test_consumer_sign_in_answers_the_same_for_a_known_and_an_unknown_address():
    factories.consumer_with_account(email="dana@example.com")

    known, unknown = known_and_unknown(
        lambda c, who: c.post("/account/sign-in/", {"username": who, "password": "wrong-one"}),
        "dana@example.com",
        "nobody@example.com",
    )

    assert known == unknown
    assert known[0] == 200


@pytest.mark.parametrize("page", ["/staff/sign-in/", "/admin/login/"])
def test_staff_and_admin_sign_in_answer_the_same_for_a_known_and_an_unknown_username(page):
    staff_in_role("Privacy officer", "olga")

    known, unknown = known_and_unknown(
        lambda c, who: c.post(page, {"username": who, "password": "wrong-one"}), "olga", "nobody"
    )

    assert known == unknown


def test_the_status_lookup_answers_the_same_for_a_real_request_and_none():
    request = factories.PrivacyRequestFactory.create(requester_email="dana@example.com")

    known, unknown = known_and_unknown(
        lambda c, ref: c.post(
            "/requests/status/", {"reference": ref, "email": "dana@example.com"}, follow=True
        ),
        request.reference,
        "PR-2026-999999",
    )

    assert known == unknown
    assert known[0] == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [("/do-not-sell/", "identifier"), ("/preferences/link/", "email")],
)
def test_opt_out_and_preferences_link_answer_the_same_for_a_known_and_an_unknown_address(
    url, field
):
    factories.consumer_with_account(email="dana@example.com")

    known, unknown = known_and_unknown(
        lambda c, who: c.post(url, {field: who}, follow=True),
        "dana@example.com",
        "nobody@example.com",
    )

    assert known == unknown


@pytest.mark.parametrize(
    "path",
    ["", "new-code/", "confirm-email/", "verify/", "confirm-delete/", "withdraw/"],
)
def test_another_persons_request_looks_exactly_like_no_request(path):
    request = factories.PrivacyRequestFactory.create()

    def look(client, reference):
        url = f"/requests/{reference}/{path}"
        return client.post(url) if path in ("new-code/", "withdraw/") else client.get(url)

    known, unknown = known_and_unknown(look, request.reference, "PR-2026-999999")

    assert known == unknown
    assert known[0] == 404


def test_a_new_request_in_a_known_consumers_name_reads_like_one_in_nobodys():
    factories.consumer(email="dana@example.com", full_name="Dana Shopper")

    def submit(client, email):
        return client.post(
            "/requests/new/details/?type=know_categories&who=self",
            {"requester_name": "Dana Shopper", "requester_email": email},
            follow=True,
        )

    known, unknown = known_and_unknown(submit, "dana@example.com", "nobody@example.com")

    assert known == unknown
