"""The Do Not Sell page and the marketing preferences as a visitor uses them in Debian's
Chromium, on a desktop and on a 375-pixel-wide phone."""

import re

import pytest
from django.core import mail

from consent.models import PreferenceChange, SaleStatus
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 800}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_a_visitor_opts_out_by_email_from_the_footer(live_server, page):
    dana = factories.consumer(email="dana@example.com")

    page.goto(live_server.url + "/what-we-collect/")
    page.locator("footer").get_by_role(
        "link", name="Do Not Sell or Share My Personal Information"
    ).click()
    page.screenshot_as("do-not-sell")
    page.get_by_label("Your email address or phone number").fill("dana@example.com")
    page.get_by_role("button", name="Opt out").click()

    assert page.url.endswith("/do-not-sell/received/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your opt-out is recorded"
    page.screenshot_as("do-not-sell-received")
    assert SaleStatus.objects.get(consumer=dana).state == SaleStatus.State.OPTED_OUT


def test_a_mistyped_address_is_explained_next_to_the_field(live_server, page):
    page.goto(live_server.url + "/do-not-sell/")
    page.get_by_label("Your email address or phone number").fill("dana@")
    page.get_by_role("button", name="Opt out").click()

    error = page.locator("#id_identifier_error")
    assert "Enter a complete email address, like name@example.com." in error.inner_text()
    assert (
        page.get_by_label("Your email address or phone number").get_attribute("aria-invalid")
        == "true"
    )
    page.screenshot_as("do-not-sell-error")


def test_the_do_not_sell_page_fits_a_phone(live_server, page):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/do-not-sell/")

    assert fits_the_screen(page)
    page.screenshot_as("do-not-sell-phone")


def test_a_shopper_without_an_account_changes_preferences_through_the_emailed_link(
    live_server, page
):
    dana = factories.consumer(email="dana@example.com")

    page.goto(live_server.url + "/preferences/")
    page.screenshot_as("preferences-start")
    page.get_by_label("Your email address").fill("dana@example.com")
    page.get_by_role("button", name="Email me a link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    page.screenshot_as("preferences-link-sent")

    link = re.search(r"https?://[^/\s]+(/preferences/link/\S+/)", str(mail.outbox[-1].body))
    assert link is not None
    page.goto(live_server.url + link.group(1))
    page.get_by_role("button", name="Open my preferences").click()
    assert page.url.endswith("/preferences/")
    page.get_by_label("Offers and news by email").uncheck()
    page.get_by_role("button", name="Save my choices").click()

    assert "Saved. Your changes take effect in all our systems by" in page.inner_text("main")
    assert not page.get_by_label("Offers and news by email").is_checked()
    page.screenshot_as("preferences")
    change = PreferenceChange.objects.get(consumer=dana)
    assert (change.channel, change.allowed) == ("email", False)


def test_the_preferences_page_fits_a_phone(live_server, page):
    dana = factories.consumer_with_account(email="dana@example.com")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/account/sign-in/?next=/preferences/")
    page.get_by_label("Email address").fill(dana.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/preferences/")

    assert page.get_by_role("heading", level=1).inner_text() == "Your marketing preferences"
    assert fits_the_screen(page)
    page.screenshot_as("preferences-phone")


def test_the_one_reauthorization_question_is_answered_in_the_browser(live_server, page):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from consent.services import reauthorization_asks_send
    from core.mail import outbox_send_due
    from tests.consent_factories import opted_out

    with time_machine.travel(timezone.now() - timedelta(days=400)):
        dana = opted_out(email="dana@example.com")
    reauthorization_asks_send(now=timezone.now())
    outbox_send_due(now=timezone.now())
    ask = [m for m in mail.outbox if m.subject.startswith("Would you like")][-1]
    link = re.search(r"https?://[^/\s]+(/do-not-sell/authorize/\S+/)", str(ask.body))
    assert link is not None

    page.goto(live_server.url + link.group(1))
    page.screenshot_as("reauthorize")
    page.get_by_role("button", name="No, keep my opt-out").click()

    assert "Your opt-out stays in place. We will not ask you again." in page.inner_text("main")
    page.screenshot_as("reauthorize-done")
    assert SaleStatus.objects.get(consumer=dana).state == SaleStatus.State.OPTED_OUT
