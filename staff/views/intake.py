"""Logging a request received by phone, mail or email (customer care). Thin: parse the form, call
requests_app.services.intake.request_log, show the reference to read out.

One URL: /staff/intake/?channel=phone|mail|email shows the form for that channel; after a
request is logged, /staff/intake/?done=<reference> shows its reference (a redirect, so that
reloading the page never logs the request twice; the form's token, core.idempotency, does the
same for a double click or a form sent again).
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from core import legal_clock
from core.idempotency import idempotent_post
from requests_app import references
from requests_app.models import Channel, PrivacyRequest, RequesterKind, RequestType, Status
from requests_app.services.intake import STAFF_CHANNELS, IntakeRefused, request_log

from ..access import staff_view
from ..intake_forms import IntakeForm
from ..roles import can

CHANNEL_TABS = [
    (Channel.PHONE, "Phone call"),
    (Channel.MAIL, "Letter"),
    (Channel.EMAIL, "Email"),
]


@staff_view(permission="log_request")
@require_http_methods(["GET", "POST"])
@idempotent_post
def intake_page(request):
    if request.method == "GET" and request.GET.get("done"):
        return _done_page(request, request.GET["done"])
    channel = request.GET.get("channel", Channel.PHONE)
    if channel not in STAFF_CHANNELS:
        channel = Channel.PHONE
    form = IntakeForm(
        request.POST if request.method == "POST" else None,
        channel=channel,
        today=legal_clock.local_date(timezone.now()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            privacy_request = request_log(**form.service_arguments(), actor=request.user)
        except IntakeRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            query = urlencode({"done": privacy_request.reference})
            return redirect(f"{reverse('staff:intake')}?{query}")
    return render(
        request,
        "staff/intake.html",
        {
            "form": form,
            "channel": channel,
            "tabs": CHANNEL_TABS,
            "on_phone": channel == Channel.PHONE,
            "rep_name": request.user.first_name or request.user.get_username(),
        },
    )


def _done_page(request, reference: str):
    """The reference to read out, and what to tell the caller. Only for the representative who
    logged the request (or staff who see every request)."""
    # A reference, or no request: checked before any query, since a crafted address (a NUL
    # character, which PostgreSQL cannot compare) was a 500 (found by fuzzing).
    normalized = references.reference_normalize(reference)
    if normalized is None:
        raise Http404("No such request")
    requests = PrivacyRequest.objects.filter(reference=normalized)
    if not can(request.user, "see_all_requests"):
        requests = requests.filter(logged_by=request.user)
    privacy_request = requests.first()
    if privacy_request is None:
        raise Http404("No such request")
    acknowledgment_pending = privacy_request.acknowledged_at is None
    return render(
        request,
        "staff/intake_done.html",
        {
            "privacy_request": privacy_request,
            "verified": privacy_request.verified_at is not None,
            "denied": privacy_request.status == Status.DENIED,
            "awaiting_delete_confirmation": (
                privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
            ),
            "waiting_for_document": privacy_request.requester_kind != RequesterKind.SELF,
            # Specific pieces whose points matched: the signed declaration must follow.
            "waiting_for_declaration": (
                privacy_request.status == Status.VERIFYING
                and privacy_request.request_type == RequestType.KNOW_SPECIFIC
                and privacy_request.consumer_id is not None
            ),
            "acknowledgment_pending": acknowledgment_pending,
            "received_on": legal_clock.local_date(privacy_request.received_at),
            "acknowledge_on": legal_clock.local_date(privacy_request.acknowledge_by),
            "due_on": legal_clock.local_date(privacy_request.current_due_at),
            "on_phone": privacy_request.channel == Channel.PHONE,
        },
    )
