"""The staff workspace in Debian's Chromium: sign in with the second factor, the queue, a
request page and the metrics, with screenshots."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app.models import RequestType, Status
from tests import factories
from tests.staff_helpers import current_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_officer_signs_in_works_the_queue_and_reads_the_metrics(live_server, page):
    # A superuser: its rights do not depend on the groups a migration made, which an earlier
    # transactional test may have flushed away.
    officer = factories.privacy_officer("olga")
    now = timezone.now()
    overdue = factories.PrivacyRequestFactory.create(
        received_at=now - timedelta(days=32), due_at=now - timedelta(days=2), status=Status.VERIFIED
    )
    factories.PrivacyRequestFactory.create(
        request_type=RequestType.DELETE, due_at=now + timedelta(days=4)
    )

    page.goto(live_server.url + "/staff/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(
        current_code(TOTPDevice.objects.get(user=officer))
    )
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Requests"
    assert page.locator("tr.overdue").count() == 1
    page.screenshot_as("staff-queue")

    page.get_by_role("link", name=overdue.reference).click()
    assert overdue.reference in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Reveal personal details").click()
    page.screenshot_as("staff-request")

    page.get_by_role("link", name="Metrics").click()
    assert "Metrics" in page.title() or page.get_by_role("heading", level=1).is_visible()
    assert page.locator("svg").count() >= 1
    page.screenshot_as("staff-metrics")
