"""Walking a consumer through the request pages with Django's test client."""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from core.mail import outbox_send_due
from requests_app.models import PrivacyRequest

CODE_PATTERN = re.compile(r"code to confirm this email address: (\d{6})")


def deliver_emails():
    """Send everything the outbox holds (what the worker or the sweep would do), including
    emails queued by a test that travelled in time, and return the messages sent so far."""
    outbox_send_due(now=timezone.now() + timedelta(days=3650))
    return mail.outbox


def emails_to(address):
    return [m for m in deliver_emails() if address in m.to]


def last_code_for(address):
    for message in reversed(emails_to(address)):
        match = CODE_PATTERN.search(message.body) or re.search(r": (\d{6})\n", message.body)
        if match:
            return match.group(1)
    raise AssertionError(f"no code was emailed to {address}")


def submit(client, *, type="know_categories", who="self", **fields):
    data = {"requester_name": "Dana Shopper", "requester_email": "dana@example.com"} | fields
    return client.post(f"/requests/new/details/?type={type}&who={who}", data)


def latest_request():
    return PrivacyRequest.objects.order_by("-pk").first()


def confirm_email(client, privacy_request, address=None):
    code = last_code_for(address or privacy_request.requester_email)
    return client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})


def verify(client, privacy_request, **answers):
    return client.post(f"/requests/{privacy_request.reference}/verify/", answers)
