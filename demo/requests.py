"""Demo requests for `seed_demo`, so that the staff queue has work in every state: some due
soon, one overdue, one extended, some answered. Development only (seed_demo refuses otherwise).
"""

from datetime import datetime, timedelta

from registry.models import Consumer
from requests_app.models import (
    Channel,
    DenialReason,
    Outcome,
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    RequestType,
    Status,
    VerificationMethod,
    VerificationTier,
)
from requests_app.services.submission import request_row_create

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
VERIFIED_STATES = {Status.VERIFIED, Status.APPROVED, Status.IN_PROGRESS, Status.FULFILLED}


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
    verified = status in VERIFIED_STATES or status == Status.DENIED
    request = request_row_create(
        received_at=received_at,
        request_type=request_type,
        requester_kind=RequesterKind.SELF,
        channel=channel,
        status=status,
        requester_name=consumer.full_name,
        requester_email=consumer.email,
        consumer=consumer if verified else None,
        acknowledged_at=received_at,
        email_confirmed_at=None if status == Status.EMAIL_UNCONFIRMED else received_at,
        verified_at=received_at + timedelta(hours=1) if verified else None,
        verification_method=VerificationMethod.DATA_POINTS if verified else "",
        verification_tier=VerificationTier.TWO if verified else "",
        counts_toward_cap=verified and request_type != RequestType.DELETE,
    )
    fields: list[str] = []
    if consumer.shop_customer_id == "DEMO-0007":
        request.extended_due_at = request.extension_limit_at
        request.extension_reason = "Your records are held in several of our systems."
        request.extended_at = received_at + timedelta(days=20)
        fields += ["extended_due_at", "extension_reason", "extended_at"]
    if status == Status.FULFILLED:
        request.responded_at = received_at + timedelta(days=21)
        request.outcome = Outcome.COMPLIED_WHOLE
        fields += ["responded_at", "outcome"]
    if status == Status.DENIED:
        request.responded_at = received_at + timedelta(days=8)
        request.outcome = Outcome.DENIED
        request.denial_reason = DenialReason.EXCEPTION
        request.denial_exception = "legal_obligation"
        request.denial_explanation = "We must keep records of your orders for tax purposes."
        fields += [
            "responded_at",
            "outcome",
            "denial_reason",
            "denial_exception",
            "denial_explanation",
        ]
    if fields:
        request.save(update_fields=fields)
    RequestEvent.objects.create(
        request=request, kind=RequestEvent.Kind.SUBMITTED, actor_label="consumer", at=received_at
    )
    if verified:
        RequestEvent.objects.create(
            request=request,
            kind=RequestEvent.Kind.VERIFIED,
            actor_label="system",
            detail="Two-tier",
            at=received_at + timedelta(hours=1),
        )
