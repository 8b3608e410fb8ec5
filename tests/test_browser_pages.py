"""The public pages as a visitor sees them in Debian's Chromium."""

import pytest

# serialized_rollback: a transactional test flushes the database; this restores what the
# data migrations seeded (the inventory) for the tests after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_visitor_reaches_what_we_collect_from_the_home_page(live_server, page):
    page.goto(live_server.url + "/")
    page.screenshot_as("home")

    page.get_by_role("link", name="What we collect", exact=True).first.click()

    assert page.url.endswith("/what-we-collect/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "What personal information we collect"
    )
    assert page.get_by_role("heading", name="Email address").is_visible()
    page.screenshot_as("what-we-collect")


def test_pages_load_our_stylesheet_and_nothing_from_other_origins(live_server, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_server.url + "/what-we-collect/")

    assert any(url.endswith("/static/css/portal.css") for url in requested)
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"


def test_the_pages_fit_a_phone_screen(live_server, page):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + "/what-we-collect/")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot_as("what-we-collect-phone")

    assert overflow <= 0
