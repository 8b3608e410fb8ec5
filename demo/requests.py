"""Demo requests for `seed_demo`, so that the staff queue has work in every state: some due
soon, one overdue, one extended, some answered. Development only (seed_demo refuses otherwise).
"""

from datetime import datetime, timedelta

from django.db import transaction

from registry.models import Consumer
from requests_app.models import (
    Channel,
    DenialReason,
    PrivacyRequest,
    RequesterKind,
    RequestType,
    Status,
    VerificationMethod,
    VerificationTier,
)
from requests_app.services import lifecycle, staff_actions
from requests_app.services.submission import receipt_context
from requests_app.services.verification import request_confirm_delete, request_verified_mark

# (customer number, type, status, days since receipt, channel)
DEMO_REQUESTS = [
    (2, RequestType.KNOW_CATEGORIES, Status.VERIFIED, 3, Channel.WEB),
    (3, RequestType.KNOW_SPECIFIC, Status.APPROVED, 12, Channel.WEB),
    (4, RequestType.DELETE, Status.IN_PROGRESS, 22, Channel.WEB),
    (5, RequestType.KNOW_CATEGORIES, Status.VERIFYING, 26, Channel.PHONE),
    (6, RequestType.DELETE, Status.VERIFIED, 33, Channel.MAIL),
    (7, RequestType.KNOW_SPECIFIC, Status.VERIFIED, 40, Channel.WEB),  # extended
    (8, RequestType.KNOW_CATEGORIES, Status.FULFILLED, 60, Channel.WEB),
    (9, RequestType.DELETE, Status.DENIED, 90, Channel.EMAIL),
    (10, RequestType.KNOW_CATEGORIES, Status.EMAIL_UNCONFIRMED, 1, Channel.WEB),
]


def demo_requests_create(*, now: datetime) -> int:
    """Create the demo requests once; a second run finds them and creates nothing."""
    consumers = {
        c.shop_customer_id: c
        for c in Consumer.objects.filter(
            shop_customer_id__in=[f"DEMO-{n:04d}" for n, *_ in DEMO_REQUESTS]
        )
    }
    emails = [c.email for c in consumers.values()]
    if PrivacyRequest.objects.filter(requester_email__in=emails).exists():
        return 0
    created = 0
    for number, request_type, status, days_ago, channel in DEMO_REQUESTS:
        consumer = consumers.get(f"DEMO-{number:04d}")
        if consumer is None:
            continue
        _create(consumer, request_type, status, now - timedelta(days=days_ago), channel, now)
        created += 1
    return created


def _create(consumer, request_type, status, received_at, channel, now) -> None:
    """The request arrives as a real one does and walks the lifecycle's moves to `status`,
    through the same services, each step a while after the one before: its history, emails
    and dates are what the workflow writes."""
    new = PrivacyRequest(
        received_at=received_at,
        request_type=request_type,
        requester_kind=RequesterKind.SELF,
        channel=channel,
        requester_name=consumer.full_name,
        requester_email=consumer.email,
        acknowledged_at=received_at,
    )
    with transaction.atomic():
        if channel == Channel.WEB:
            request = lifecycle.transition_perform(
                new,
                lifecycle.SUBMIT,
                message_context=lambda created: receipt_context(created, now=received_at),
                at=received_at,
            )
        else:
            request = lifecycle.transition_perform(new, lifecycle.LOG, at=received_at)
        _walk(request, consumer, status, received_at)
        if consumer.shop_customer_id == "DEMO-0007":
            request.refresh_from_db()
            request.extended_due_at = request.extension_limit_at
            request.extension_reason = "Your records are held in several of our systems."
            request.extended_at = received_at + timedelta(days=20)
            request.save(update_fields=["extended_due_at", "extension_reason", "extended_at"])


def _walk(request: PrivacyRequest, consumer: Consumer, status: str, received_at) -> None:
    if status == Status.EMAIL_UNCONFIRMED:
        return
    if request.status == Status.EMAIL_UNCONFIRMED:
        confirmed_at = received_at + timedelta(minutes=5)
        request = lifecycle.transition_perform(
            request,
            lifecycle.CONFIRM_EMAIL,
            writes={"email_confirmed_at": confirmed_at},
            at=confirmed_at,
        )
    if status == Status.VERIFYING:
        return
    verified_at = received_at + timedelta(hours=1)
    request.consumer = consumer
    request.save(update_fields=["consumer"])
    request_verified_mark(
        privacy_request=request,
        method=VerificationMethod.DATA_POINTS,
        tier=VerificationTier.TWO,
        actor=None,
        now=verified_at,
    )
    request.refresh_from_db()
    if request.status == Status.AWAITING_DELETE_CONFIRMATION:
        request_confirm_delete(privacy_request=request, now=verified_at + timedelta(minutes=5))
    if status == Status.DENIED:
        staff_actions.request_deny(
            privacy_request=request,
            actor=None,
            reason=DenialReason.EXCEPTION,
            exception="legal_obligation",
            explanation="We must keep records of your orders for tax purposes.",
            now=received_at + timedelta(days=8),
        )
        return
    _staff_steps(request, status, received_at)


def _staff_steps(request: PrivacyRequest, status: str, received_at) -> None:
    """Approve, start and answer, as far as `status`."""
    steps = [Status.APPROVED, Status.IN_PROGRESS, Status.FULFILLED]
    if status not in steps:
        return
    staff_actions.request_approve(
        privacy_request=request, actor=None, now=received_at + timedelta(days=2)
    )
    if status == Status.APPROVED:
        return
    staff_actions.request_work_start(
        privacy_request=request,
        actor=None,
        plan=lambda locked: [],  # the demo's data systems have no tasks to run
        now=received_at + timedelta(days=3),
    )
    if status == Status.IN_PROGRESS:
        return
    staff_actions.request_close(
        privacy_request=request,
        actor=None,
        summary="The categories of personal information we hold about you are attached.",
        now=received_at + timedelta(days=21),
    )
