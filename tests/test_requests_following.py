"""Following a request: the one-time status link, the status page, and withdrawing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from requests_app.models import RequestEvent, Status
from tests import factories
from tests.request_helpers import deliver_emails, emails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana_request():
    return factories.PrivacyRequestFactory.create(
        requester_email="dana@example.com", status=Status.VERIFIED
    )


def ask_for_link(client, reference, email):
    return client.post("/requests/status/", {"reference": reference, "email": email}, follow=True)


def link_path(address):
    body = emails_to(address)[-1].body
    return re.search(r"127\.0\.0\.1:8000(/requests/status/\S+/)", body).group(1)


def test_the_same_answer_whether_or_not_the_reference_and_email_match(client, dana_request):
    matching = ask_for_link(client, dana_request.reference, "dana@example.com")
    wrong_email = ask_for_link(client, dana_request.reference, "eve@example.com")
    no_request = ask_for_link(client, "PR-2026-999999", "dana@example.com")

    assert matching.status_code == wrong_email.status_code == no_request.status_code == 200
    assert matching.text == wrong_email.text == no_request.text
    assert "If the reference and email address match a request" in matching.text
    assert len(deliver_emails()) == 1
    assert emails_to("dana@example.com")


def test_the_status_link_opens_the_request_once(client, dana_request):
    ask_for_link(client, dana_request.reference, "dana@example.com")
    path = link_path("dana@example.com")
    browser = Client()

    assert browser.get(path).status_code == 200  # a GET (a mail scanner) spends nothing
    opened = browser.post(path)
    assert opened["Location"] == f"/requests/{dana_request.reference}/"
    assert browser.get(opened["Location"]).status_code == 200

    again = Client().post(path)
    assert "This code has already been used." in again.text


def test_an_expired_status_link_is_refused(client, dana_request):
    ask_for_link(client, dana_request.reference, "dana@example.com")
    path = link_path("dana@example.com")

    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = Client().post(path)

    assert "This code has expired." in response.text


def test_another_browser_cannot_see_a_request_without_the_link(dana_request):
    response = Client().get(f"/requests/{dana_request.reference}/")

    assert response.status_code == 404


def test_the_status_page_shows_type_dates_step_and_consumer_history(client, dana_request):
    RequestEvent.objects.create(
        request=dana_request, kind="submitted", actor_label="consumer", at=timezone.now()
    )
    RequestEvent.objects.create(
        request=dana_request,
        kind="email_sent",
        actor_label="system",
        at=timezone.now(),
        visible_to_consumer=False,
    )
    ask_for_link(client, dana_request.reference, "dana@example.com")
    client.post(link_path("dana@example.com"))

    page = client.get(f"/requests/{dana_request.reference}/").text

    assert "Know the categories of personal information we hold" in page
    assert "Received" in page and "We will answer by" in page
    assert "Identity verified; we are preparing the answer" in page
    assert "Request received" in page
    assert "Email sent" not in page  # staff-only history stays staff-only


def test_the_status_page_shows_an_extension_and_its_reason(client, dana_request):
    dana_request.extended_due_at = dana_request.due_at + timedelta(days=30)
    dana_request.extension_reason = "Your records are spread over several systems."
    dana_request.save()
    ask_for_link(client, dana_request.reference, "dana@example.com")
    client.post(link_path("dana@example.com"))

    page = client.get(f"/requests/{dana_request.reference}/").text

    assert "Your records are spread over several systems." in page


def test_the_requester_withdraws_an_open_request(client, dana_request):
    ask_for_link(client, dana_request.reference, "dana@example.com")
    client.post(link_path("dana@example.com"))

    client.post(f"/requests/{dana_request.reference}/withdraw/")

    dana_request.refresh_from_db()
    assert dana_request.status == Status.WITHDRAWN
    assert "is withdrawn" in emails_to("dana@example.com")[-1].subject


def test_an_answered_request_cannot_be_withdrawn(client, dana_request):
    dana_request.status = Status.DENIED
    dana_request.save()
    ask_for_link(client, dana_request.reference, "dana@example.com")
    client.post(link_path("dana@example.com"))

    response = client.post(f"/requests/{dana_request.reference}/withdraw/", follow=True)

    assert "already been answered or closed" in response.text
    dana_request.refresh_from_db()
    assert dana_request.status == Status.DENIED


def test_the_history_is_append_only(dana_request):
    event = RequestEvent.objects.create(
        request=dana_request, kind="submitted", actor_label="consumer", at=timezone.now()
    )

    event.detail = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_submissions_from_one_address_are_limited_and_told_plainly(client):
    data = {"requester_name": "Flood", "requester_email": "flood@example.com"}
    url = "/requests/new/details/?type=know_categories&who=self"
    for _ in range(5):
        assert client.post(url, data).status_code == 302

    response = client.post(url, data)

    assert response.status_code == 200
    assert "We have received many requests from here in the last hour." in response.text
