"""Sending email through the outbox (core.models.OutboundEmail).

    email_queue(to=..., template="requests/received", context={...}, kind="request.received",
                dedupe_key=f"request:{pk}:received")

renders templates/emails/<template>.subject.txt, .txt and .html, stores the message, and after
commit asks a worker to send it. email_send() claims the row atomically before sending, so two
senders (a task and the sweep, or two sweeps) never both send it.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from .context_processors import company_details
from .models import OutboundEmail

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 300
MAX_ATTEMPTS = 8
SWEEP_BATCH = 200


def _render(template: str, context: dict) -> tuple[str, str, str]:
    base = {"company": company_details()}
    base.update(context)
    subject = render_to_string(f"emails/{template}.subject.txt", base)
    text = render_to_string(f"emails/{template}.txt", base)
    html = render_to_string(f"emails/{template}.html", base)
    return " ".join(subject.split()), text, html


def email_queue(
    *, to: str, template: str, context: dict, kind: str, dedupe_key: str | None = None
) -> OutboundEmail | None:
    """Store an email to send after the current transaction commits.

    Returns None when an email with the same dedupe_key was queued before: each notice goes out
    at most once. Call it inside the transaction that makes the change the email announces.
    """
    subject, text, html = _render(template, context)
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to=to,
                subject=subject,
                body_text=text,
                body_html=html,
                kind=kind,
                dedupe_key=dedupe_key,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    transaction.on_commit(lambda: _enqueue_send(email.pk))
    return email


def _enqueue_send(email_id: int) -> None:
    """Ask a worker to send now. If the broker is unreachable the email simply waits for the
    sweep: the page the user is looking at must not fail or hang because of it."""
    from .tasks import send_email

    try:
        send_email.apply_async(args=(email_id,), retry=False)
    except Exception:
        logger.warning("Broker unavailable; email %s will go out with the next sweep", email_id)


def _claim(email_id: int, now: datetime) -> bool:
    """Take the right to send this email, atomically: exactly one caller gets True."""
    claimable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = OutboundEmail.objects.filter(
        claimable, pk=email_id, state=OutboundEmail.State.PENDING
    ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def email_send(*, email_id: int) -> bool:
    """Send one queued email if nobody else is. Returns True when this call sent it."""
    now = timezone.now()
    if not _claim(email_id, now):
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body_text, to=[email.to], reply_to=[_reply_to()]
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        _record_failure(email, exc)
        return False
    OutboundEmail.objects.filter(pk=email_id).update(
        state=OutboundEmail.State.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        claimed_until=None,
        last_error="",
        **_redacted_if_flagged(),
    )
    return True


REDACTED_FIELDS = ("to", "subject", "body_text", "body_html", "last_error")


def redaction() -> dict:
    """What a redacted outbox row holds instead of its address, subject, bodies and error."""
    return dict.fromkeys(REDACTED_FIELDS, "")


def _redacted_if_flagged() -> dict:
    """Blank the row in the same UPDATE if it is flagged redact_after_send at that moment: an
    erasure that flags it while it is being sent is never missed (fulfilment.erasure)."""
    return {
        name: Case(
            When(redact_after_send=True, then=Value("")),
            default=F(name),
            output_field=TextField(),
        )
        for name in REDACTED_FIELDS
        if name != "last_error"
    }


def _reply_to() -> str:
    return settings.COMPANY_PRIVACY_EMAIL


def _record_failure(email: OutboundEmail, exc: Exception) -> None:
    attempts = email.attempts + 1
    failed_for_good = attempts >= MAX_ATTEMPTS
    # Exponential backoff: 1, 2, 4 ... minutes, at most a day.
    delay = timedelta(minutes=min(2 ** (attempts - 1), 24 * 60))
    logger.warning("Sending email %s failed (attempt %s): %s", email.pk, attempts, exc)
    fields = {
        "attempts": attempts,
        "state": OutboundEmail.State.FAILED if failed_for_good else OutboundEmail.State.PENDING,
        "next_attempt_at": timezone.now() + delay,
        "claimed_until": None,
        "last_error": f"{type(exc).__name__}: {exc}"[:2000],
    }
    if failed_for_good:
        # The error may quote the address: a flagged row keeps only the exception's name.
        fields |= _redacted_if_flagged() | {
            "last_error": Case(
                When(redact_after_send=True, then=Value(type(exc).__name__)),
                default=Value(fields["last_error"]),
                output_field=TextField(),
            )
        }
    OutboundEmail.objects.filter(pk=email.pk).update(**fields)


def outbox_send_due(*, now: datetime) -> int:
    """The sweep's outbox step: send every pending email whose next attempt is due."""
    due = OutboundEmail.objects.filter(
        state=OutboundEmail.State.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    return sum(email_send(email_id=pk) for pk in list(due))
