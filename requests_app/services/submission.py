"""Receiving a request on the website: the limits, the agent's document, the receipt. Its row,
reference and deadlines are the lifecycle's first move (services/lifecycle.py)."""

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registry.normalize import normalize_email

from .. import ratelimit
from ..models import (
    AgentDocument,
    Channel,
    EmailChallenge,
    PrivacyRequest,
    RequestEvent,
)
from . import lifecycle
from .codes import challenge_issue
from .history import event_record
from .notify import notify


class SubmissionRefused(Exception):
    """The submission cannot be taken now; the message says why, in the user's words."""


def request_submit(
    *,
    request_type: str,
    requester_kind: str,
    requester_name: str,
    requester_email: str,
    subject_name: str = "",
    subject_email: str = "",
    channel: str = Channel.WEB,
    user=None,
    agent_document: tuple[bytes, str] | None = None,
    client_ip: str = "",
    delivery_method: str = "email",
    postal_address: str = "",
    now: datetime | None = None,
) -> PrivacyRequest:
    """Record a new request and send its receipt (with the email code when the address is not
    yet proven). Deadlines run from now, verified or not.

    Rate limits apply per email address and per IP address, counted in the transaction that
    saves the request (raises SubmissionRefused beyond them). `user` is an account holder who
    is signed in; their address counts as proven. The caller checks nothing else: anyone may ask.
    """
    now = now or timezone.now()
    email = normalize_email(requester_email)
    stored_document = _write_agent_document(*agent_document) if agent_document else None
    try:
        privacy_request = _create_request(
            request_type=request_type,
            requester_kind=requester_kind,
            requester_name=requester_name,
            email=email,
            subject_name=subject_name,
            subject_email=subject_email,
            channel=channel,
            user=user,
            stored_document=stored_document,
            client_ip=client_ip,
            delivery_method=delivery_method,
            postal_address=postal_address,
            now=now,
        )
        return privacy_request
    except BaseException:
        if stored_document:
            (agent_documents_folder() / stored_document[0]).unlink(missing_ok=True)
        raise


def _create_request(
    *,
    request_type: str,
    requester_kind: str,
    requester_name: str,
    email: str,
    subject_name: str,
    subject_email: str,
    channel: str,
    user,
    stored_document: tuple[str, str, int] | None,
    client_ip: str,
    delivery_method: str,
    postal_address: str,
    now: datetime,
) -> PrivacyRequest:
    with transaction.atomic():
        _submission_limits_take(email=email, client_ip=client_ip, now=now)
        new = PrivacyRequest(
            received_at=now,
            request_type=request_type,
            requester_kind=requester_kind,
            channel=channel,
            requester_name=requester_name.strip(),
            requester_email=email,
            requester_user=user,
            subject_name=subject_name.strip(),
            subject_email=normalize_email(subject_email) if subject_email else "",
            email_confirmed_at=now if user else None,
            acknowledged_at=now,  # by the receipt, queued with the row
            delivery_method="post" if delivery_method == "post" else "email",
            postal_address=postal_address.strip() if delivery_method == "post" else "",
        )
        privacy_request = lifecycle.transition_perform(
            new,
            lifecycle.SUBMIT_SIGNED_IN if user else lifecycle.SUBMIT,
            actor=user,
            detail=f"{new.get_request_type_display()} ({new.get_channel_display()})",
            message_context=lambda created: receipt_context(created, now=now),
            at=now,
        )
        if stored_document is not None:
            _record_agent_document(privacy_request, *stored_document, now=now)
    return privacy_request


def _submission_limits_take(*, email: str, client_ip: str, now: datetime) -> None:
    """Count this submission against its limits, under each key's lock (ratelimit.attempt_take),
    so that a burst passes exactly the limit. Raised inside the transaction, the refusal also
    takes back the attempt already counted for the other key."""
    checks = [(ratelimit.SUBMISSIONS_PER_EMAIL, ratelimit.attempt_key(email))]
    if client_ip:
        checks.append((ratelimit.SUBMISSIONS_PER_IP, ratelimit.attempt_key("ip", client_ip)))
    for limit, key in checks:
        until = ratelimit.attempt_take(limit, key, now=now)
        if until:
            raise SubmissionRefused(
                "We have received many requests from here in the last hour. To protect "
                f"everyone's information, please try again after {_time_text(until)}, or call "
                f"us on {settings.COMPANY_PHONE}."
            )


def _time_text(instant: datetime) -> str:
    local = timezone.localtime(instant)
    return local.strftime("%-I:%M %p").lower() + local.strftime(" on %-d %B %Y")


def receipt_context(privacy_request: PrivacyRequest, *, now: datetime) -> dict:
    """The receipt is the acknowledgment of 11 CCR 7021: reference, how verification works, and
    the due date. While the address is not proven it carries the code that proves it."""
    if privacy_request.email_confirmed_at is not None:
        return {}
    _, code = challenge_issue(
        privacy_request=privacy_request,
        purpose=EmailChallenge.Purpose.CONFIRM_EMAIL,
        now=now,
        lifetime=timedelta(minutes=settings.EMAIL_CODE_LIFETIME_MINUTES),
    )
    return {"code": code, "code_minutes": settings.EMAIL_CODE_LIFETIME_MINUTES}


def resend_code(*, privacy_request: PrivacyRequest, now: datetime | None = None) -> None:
    """A fresh code for a requester whose code expired or was lost. Limited, so that nobody can
    use us to flood an inbox: raises SubmissionRefused when too many were sent lately."""
    now = now or timezone.now()
    key = ratelimit.attempt_key("resend", privacy_request.requester_email)
    with transaction.atomic():
        # Counted under the key's lock: a burst of clicks sends no more codes than the limit.
        until = ratelimit.attempt_take(ratelimit.CODE_RESENDS, key, now=now)
        if until:
            raise SubmissionRefused(
                "We have sent several codes in the last few minutes. Please check your inbox "
                f"and spam folder; you can ask for another after {_time_text(until)}."
            )
        _, code = challenge_issue(
            privacy_request=privacy_request,
            purpose=EmailChallenge.Purpose.CONFIRM_EMAIL,
            now=now,
            lifetime=timedelta(minutes=settings.EMAIL_CODE_LIFETIME_MINUTES),
        )
        notify(
            privacy_request=privacy_request,
            template="code",
            kind="request.code",
            context={"code": code, "code_minutes": settings.EMAIL_CODE_LIFETIME_MINUTES},
        )


AGENT_DOCUMENT_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
}


def agent_document_type(head: bytes) -> tuple[str, str] | None:
    """The document's type judged by its content (its first bytes), never by its name."""
    for magic, kind in AGENT_DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return kind
    return None


def agent_documents_folder() -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / "agent-documents"


def _write_agent_document(content: bytes, content_type: str) -> tuple[str, str, int]:
    """Check the document by its content and write it where no URL reaches. Returns its stored
    name, type and size."""
    kind = agent_document_type(content[:16])
    if kind is None or kind[0] != content_type:
        raise SubmissionRefused("The permission must be a PDF, PNG or JPEG file.")
    folder = agent_documents_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.{kind[1]}"
    (folder / stored_name).write_bytes(content)
    return stored_name, content_type, len(content)


def _record_agent_document(
    privacy_request: PrivacyRequest,
    stored_name: str,
    content_type: str,
    size: int,
    *,
    now: datetime,
) -> None:
    AgentDocument.objects.create(
        request=privacy_request,
        stored_name=stored_name,
        content_type=content_type,
        size=size,
        uploaded_at=now,
    )
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.AGENT_DOCUMENT,
        actor_label="agent",
        detail=f"{content_type}, {size // 1024 + 1} KB",
        at=now,
    )
