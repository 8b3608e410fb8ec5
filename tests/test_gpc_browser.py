"""Global Privacy Control in Debian's Chromium: every request the browser makes carries
`Sec-GPC: 1`, as a browser with the signal turned on sends it."""

import pytest

from consent.models import ConsentSource, SaleStatus
from tests import factories
from tests.conftest import SCREENSHOTS

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: a transactional test flushes the database; this restores what the
    # data migrations seeded (the inventory, the data systems) for the tests after it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HONORED = "Opt-out preference signal honored"


@pytest.fixture
def gpc_browser(chromium):
    """A browser tab that sends the GPC signal with every request."""
    contexts = []

    def open_tab(*, width=1280, height=900):
        context = chromium.new_context(
            extra_http_headers={"Sec-GPC": "1"}, viewport={"width": width, "height": height}
        )
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def shoot(tab, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_visitor_with_gpc_sees_the_signal_honored_and_the_browser_is_opted_out(
    live_server, gpc_browser
):
    tab = gpc_browser()

    tab.goto(live_server.url + "/")
    tab.get_by_role("link", name="Do Not Sell or Share My Personal Information").last.click()

    assert tab.url == live_server.url + "/do-not-sell/"
    assert tab.get_by_role("heading", level=1).inner_text() == (
        "Do Not Sell or Share My Personal Information"
    )
    banner = tab.get_by_role("status").filter(has_text=HONORED)
    assert banner.is_visible()
    assert tab.locator("footer").get_by_text(HONORED).is_visible()
    cookies = {c["name"]: c["value"] for c in tab.context.cookies()}
    assert cookies["dp_sale_opt_out"] == "1"
    shoot(tab, "do-not-sell-gpc")


def test_a_signed_in_consumer_with_gpc_is_opted_out_without_a_question(live_server, gpc_browser):
    dana = factories.consumer_with_account(email="dana@example.com", full_name="Dana Demo")
    tab = gpc_browser()

    tab.goto(live_server.url + "/account/sign-in/?next=/do-not-sell/")
    tab.get_by_label("Email address").fill("dana@example.com")
    tab.get_by_label("Password").fill(factories.PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/do-not-sell/")

    assert tab.get_by_role("status").filter(has_text=HONORED).is_visible()
    assert tab.get_by_role("heading", name="You have opted out").is_visible()
    assert (
        "and so is your account" in tab.get_by_role("status").filter(has_text=HONORED).inner_text()
    )
    status = SaleStatus.objects.get(consumer=dana)
    assert status.state == SaleStatus.State.OPTED_OUT
    assert status.source == ConsentSource.GPC
    shoot(tab, "do-not-sell-gpc-signed-in")


def test_the_gpc_page_fits_a_phone_screen(live_server, gpc_browser):
    tab = gpc_browser(width=375, height=800)

    tab.goto(live_server.url + "/do-not-sell/")

    assert tab.get_by_role("status").filter(has_text=HONORED).is_visible()
    assert tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shoot(tab, "do-not-sell-gpc-phone")
