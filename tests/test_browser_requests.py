"""A consumer makes each kind of request in Debian's Chromium, as they would at home: clicking,
typing, reading the emailed code. Each page is photographed wide and at phone width."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.request_helpers import last_code_for

# serialized_rollback: a transactional test flushes the database; this restores what the
# data migrations seeded (the inventory) for the tests after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def snap(page, name):
    """Screenshot at 1280 and at 375 wide; at phone width nothing may stick out sideways."""
    page.screenshot_as(name)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot_as(f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name} is {overflow}px wider than a phone"


def error_beside(page, field):
    """The message shown beside a field, as a screen reader announces it ("Error: ...")."""
    return " ".join(page.locator(f"#id_{field}_error").text_content().split())


def status_text(page):
    return page.locator(".status-label").inner_text()


def choose(page, live_server, *, what, who):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Make a request").first.click()
    page.get_by_label(what).check()
    page.get_by_label(who, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def give_name_and_email_then_the_code(page, *, name, email):
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    page.get_by_label("The 6-digit code we emailed you").fill(last_code_for(email))
    page.get_by_role("button", name="Confirm").click()


@pytest.fixture
def dana():
    return factories.consumer(email="dana@example.com", zip_code="94110", full_name="Dana Shopper")


def test_consumer_without_account_asks_for_categories_from_home_to_answer_date(
    live_server, page, dana
):
    choose(page, live_server, what="Know the categories", who="Myself")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Know the categories of personal information we hold"
    )
    assert page.locator(".step").inner_text().lower() == "step 2 of 4"

    page.get_by_role("button", name="Send request").click()
    assert page.get_by_role("alert").get_by_text("There is a problem").is_visible()
    assert error_beside(page, "requester_email") == "Error: Enter your email address."
    snap(page, "request-categories-details-errors")

    give_name_and_email_then_the_code(page, name="Dana Shopper", email="dana@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm who you are")
    snap(page, "request-categories-verify")

    page.get_by_label("Zip code").fill("10001")
    page.get_by_role("button", name="Confirm").click()
    assert "do not match our records closely enough" in page.get_by_role("alert").inner_text()
    assert "(4 attempts left)" in page.get_by_role("alert").inner_text()

    page.get_by_label("Zip code").fill("94110")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Request PR-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
    )
    assert status_text(page) == "Identity verified; we are preparing the answer"
    assert page.get_by_text("We will email you when the answer is ready").is_visible()
    assert page.get_by_text("Email address confirmed").is_visible()
    snap(page, "request-categories-verified")


def test_account_holder_deletes_with_the_password_at_both_steps(live_server, page):
    ana = factories.consumer_with_account(email="ana@example.com", full_name="Ana Account")
    page.goto(live_server.url + "/account/sign-in/")
    page.get_by_label("Email address").fill(ana.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").last.click()

    choose(page, live_server, what="Delete personal information", who="Myself")
    assert page.locator(".step").inner_text().lower() == "step 2 of 3"
    assert page.get_by_text("You are signed in as ana@example.com").is_visible()
    page.get_by_label("Your account password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the deletion")
    expect(page.locator(".warning-panel")).to_contain_text("This cannot be undone.")
    snap(page, "request-delete-account-confirm")
    page.get_by_label("Yes, delete my personal information").check()
    page.get_by_label("Your account password").fill("not-my-password")
    page.get_by_role("button", name="Delete my personal information").click()
    assert error_beside(page, "password") == (
        "Error: That password is not right. Please try again."
    )
    snap(page, "request-delete-account-wrong-password")

    page.get_by_label("Yes, delete my personal information").check()
    page.get_by_label("Your account password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Delete my personal information").click()

    assert page.get_by_role("status").inner_text() == (
        "Thank you. We will delete your personal information."
    )
    assert status_text(page) == "Identity verified; we are preparing the answer"
    assert page.get_by_text("Deletion confirmed by the consumer").is_visible()
    snap(page, "request-delete-account-confirmed")
    page.get_by_role("link", name="Your requests").click()
    assert page.get_by_role("cell", name="Delete personal information").is_visible()
    snap(page, "request-mine")


def test_consumer_gets_specific_pieces_with_three_details_and_a_signed_declaration(
    live_server, page, dana
):
    order = dana.orders.order_by("-placed_at").first().order_number
    choose(page, live_server, what="Get a copy of the specific pieces", who="Myself")
    give_name_and_email_then_the_code(page, name="Dana Shopper", email="dana@example.com")
    assert page.get_by_text("we need three details that match").is_visible()

    page.get_by_label("Street address").fill("742 Sample Lane")
    page.get_by_label("Zip code").fill("94110")
    page.get_by_label("Order number of the most recent purchase").fill(order.lower())
    page.get_by_role("button", name="Confirm").click()
    assert error_beside(page, "declaration") == "Error: Tick the declaration to sign it."
    snap(page, "request-specific-declaration-missing")

    page.get_by_label("Your full name, as your signature").fill("Dana Shopper")
    page.get_by_label("I declare under penalty of perjury").check()
    page.get_by_role("button", name="Confirm").click()

    assert status_text(page) == "Identity verified; we are preparing the answer"
    facts = page.locator("dl.facts").inner_text()
    assert "Get a copy of the specific pieces of personal information" in facts
    assert "you asked for" not in facts  # not downgraded
    snap(page, "request-specific-verified")


def test_the_first_step_works_with_the_keyboard_alone(live_server, page):
    page.goto(live_server.url + "/requests/new/")
    page.get_by_role("button", name="Continue").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Choose what you would like us to do.")).to_be_visible()

    page.get_by_label("Delete personal information").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first choice of "who": Myself
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.screenshot_as("request-new-keyboard-focus")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    assert outline == "solid"
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete personal information")
    expect(page.locator(".chosen")).to_contain_text("For: Myself")
