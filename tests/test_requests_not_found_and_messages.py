"""What a newcomer sees for a reference that does not open (the portal's page, not Django's DEBUG
list of URLs), and flash messages that keep list semantics (axe's `listitem` rule)."""

from html.parser import HTMLParser

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests import factories

OUR_PAGE = "We couldn't find that request"
DEBUG_PAGE = "Using the URLconf"  # Django's technical 404, which lists every URL pattern


@pytest.fixture
def debug_on(settings):
    # DEBUG is on by default in development (settings.py); pytest-django turns it off.
    settings.DEBUG = True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/requests/PR-2026-7KQ4-M9XD/",  # well formed, nobody's
        "/requests/PR-2026-999999/verify/",  # the older form, nobody's
        "/requests/PR-2026-7KQ4-M9XD/answer/json/",  # the answer file, nobody's
        "/requests/pr-2026-oops/",  # malformed
        "/requests/PR-2026-%00%0A/confirm-email/",  # bytes that never reach the database
        "/requests/%3Cscript%3E/withdraw/",
    ],
)
def test_a_reference_that_does_not_open_gets_the_portals_page_even_with_debug_on(
    client, debug_on, path
):
    response = client.get(path)

    assert response.status_code == 404
    body = response.content.decode()
    assert OUR_PAGE in body
    assert DEBUG_PAGE not in body
    assert "<script>" not in body


@pytest.mark.django_db
def test_another_persons_request_looks_exactly_like_no_request(client, debug_on):
    someone_elses = factories.PrivacyRequestFactory.create()

    response = client.get(f"/requests/{someone_elses.reference}/")

    assert response.status_code == 404
    assert OUR_PAGE in response.content.decode()
    assert someone_elses.requester_name not in response.content.decode()


@pytest.mark.django_db
def test_an_address_missing_its_slash_is_still_redirected_not_called_unknown(client, debug_on):
    response = client.get("/requests/new")

    assert response.status_code == 301
    assert response["Location"] == "/requests/new/"


class ListItemParents(HTMLParser):
    """Records, for each <li>, the element it sits in and that element's role."""

    def __init__(self):
        super().__init__()
        self.open: list[tuple[str, dict]] = []
        self.li_parents: list[tuple[str, str | None]] = []
        self.status_regions: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "li":
            parent_tag, parent_attributes = self.open[-1]
            self.li_parents.append((parent_tag, parent_attributes.get("role")))
        if attributes.get("role") == "status":
            self.status_regions.append(tag)
        if tag not in {"meta", "link", "br", "img", "input", "hr"}:
            self.open.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass


def a_page_with_flash_messages(*texts) -> str:
    http_request = RequestFactory().get("/")
    http_request.session = SessionStore()
    storage = FallbackStorage(http_request)
    http_request._messages = storage  # type: ignore[attr-defined]
    for level, text in zip(
        (message_levels.SUCCESS, message_levels.ERROR, message_levels.INFO), texts, strict=False
    ):
        storage.add(level, text)
    return render_to_string("404.html", request=http_request)


@pytest.mark.django_db
def test_flash_messages_are_list_items_of_a_list_inside_a_live_region():
    html = a_page_with_flash_messages("Saved.", "That failed.", "For your information.")
    parsed = ListItemParents()
    parsed.feed(html)

    assert "For your information." in html
    assert parsed.status_regions == ["div"]
    # axe "listitem": every <li> in a <ul> or <ol> whose role has not been changed.
    assert parsed.li_parents
    assert all(tag in {"ul", "ol"} and role in {None, "list"} for tag, role in parsed.li_parents)
