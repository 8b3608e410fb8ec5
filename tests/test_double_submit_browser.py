"""A real double click on "Send request" in Debian's Chromium makes one request (issue 10,
item 8a). Before the form's token, the browser's two submissions made two requests (6 runs of
6). Marked `services` too: the two POSTs are handled at once by the live server's threads,
which SQLite's in-memory test database cannot do ("database table is locked")."""

import pytest
from playwright.sync_api import expect

from core.models import OutboundEmail
from requests_app.models import PrivacyRequest
from tests import factories
from tests.test_concurrency_double_submit import no_task_left_for_a_later_worker  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    # serialized_rollback: a transactional test flushes the database; this restores what the
    # data migrations seeded (the inventory) for the tests after it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("run", range(5))
def test_a_double_click_on_send_request_makes_one_request(live_server, page, run):
    factories.consumer(email="dana@example.com", full_name="Dana Shopper")
    page.goto(f"{live_server.url}/requests/new/details/?type=know_categories&who=self")
    page.get_by_label("Your full name").fill("Dana Shopper")
    page.get_by_label("Your email address").fill("dana@example.com")
    posted = []
    page.on("request", lambda request: posted.append(request) if request.method == "POST" else 0)

    # 30 ms between pressing and releasing, each click: a person's double click, slow enough
    # that the first POST has left when the second click submits the form again.
    page.get_by_role("button", name="Send request").dblclick(delay=30)

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    assert len(posted) == 2  # the browser did send the form twice
    assert PrivacyRequest.objects.count() == 1
    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.reference in page.locator(".reference").inner_text()
    assert OutboundEmail.objects.filter(kind="request.received").count() == 1
