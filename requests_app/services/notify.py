"""Emails about a request, through the outbox. Each is recorded in the request's history."""

from django.conf import settings
from django.urls import reverse

from core import legal_clock
from core.mail import email_queue

from ..models import PrivacyRequest, RequestEvent
from .history import event_record


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def request_context(privacy_request: PrivacyRequest) -> dict:
    return {
        "request": privacy_request,
        "reference": privacy_request.reference,
        "type_label": privacy_request.get_request_type_display(),
        "received_on": legal_clock.local_date(privacy_request.received_at),
        "due_on": legal_clock.local_date(privacy_request.current_due_at),
        "status_url": site_url(reverse("requests:status_lookup")),
        "new_request_url": site_url(reverse("requests:new")),
        "request_url": site_url(reverse("requests:detail", args=[privacy_request.reference])),
        "notice_url": site_url(reverse("inventory:what_we_collect")),
        "opt_out_url": site_url(reverse("consent:do_not_sell")),
    }


def notify(
    *,
    privacy_request: PrivacyRequest,
    template: str,
    kind: str,
    to: str | None = None,
    context: dict | None = None,
    once_key: str | None = None,
) -> None:
    """Queue an email about the request and note it in the history. With `once_key`, the email
    goes out at most once per request (its dedupe key).

    A request staff logged for a caller who has no email address has nowhere to send to: the
    history then tells staff to write by mail instead (staff only)."""
    if not (to or privacy_request.requester_email):
        event_record(
            privacy_request=privacy_request,
            kind=RequestEvent.Kind.NOTE,
            actor_label="system",
            detail=(
                f"No email address: send the {template.replace('_', ' ')} notice by mail instead."
            ),
            visible_to_consumer=False,
        )
        return
    full_context = request_context(privacy_request) | (context or {})
    dedupe_key = f"request:{privacy_request.pk}:{once_key}" if once_key else None
    queued = email_queue(
        to=to or privacy_request.requester_email,
        template=f"requests/{template}",
        context=full_context,
        kind=kind,
        dedupe_key=dedupe_key,
    )
    if queued is not None:
        event_record(
            privacy_request=privacy_request,
            kind=RequestEvent.Kind.EMAIL_SENT,
            actor_label="system",
            detail=queued.subject,
            visible_to_consumer=False,
        )
