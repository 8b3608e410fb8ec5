"""Sending what core.mail queued (core.models.OutboundEmail): each send claims its row first,
builds the message with its secrets put back in, and records the send, or the failure with a
backoff; the sweep's step sends what is due. The guarantees are in core.mail's docstring.

core.tasks runs email_send in a worker, and core.mail enqueues that task: the sending sits below
both, so it never imports the task that calls it.
"""

import base64
import hashlib
import json
import logging
import time
from datetime import datetime, timedelta
from email.utils import make_msgid

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, connection
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone
from django.utils.html import escape

from . import leases
from .log_safety import error_summary
from .models import OutboundEmail

logger = logging.getLogger(__name__)

# A send is bounded by EMAIL_TIMEOUT per network operation; the claim outlasts a whole send.
CLAIM_SECONDS = 300
MAX_ATTEMPTS = 8
SWEEP_BATCH = 200
# After the mail server accepted a message, how long we keep trying to record it (each try on
# a fresh database connection): 0.5 + 1 + 2 + 4 + 8 + 8 ... seconds, about a minute in all.
RECORD_RETRY_SECONDS = 60


# --- Secrets -------------------------------------------------------------------------------------


def _fernet() -> Fernet:
    # Fernet wants 32 url-safe base64 bytes; any configured key string is stretched to that.
    digest = hashlib.sha256(f"outbox-secrets:{settings.OUTBOX_ENCRYPTION_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(values: dict[str, str], nonce: str) -> str:
    if not values:
        return ""
    payload = json.dumps({"nonce": nonce, "values": values}).encode()
    return _fernet().encrypt(payload).decode()


def unseal(sealed: str) -> tuple[str, dict[str, str]]:
    """The nonce and the secret values; raises InvalidToken when the key changed."""
    if not sealed:
        return "", {}
    payload = json.loads(_fernet().decrypt(sealed.encode()))
    return payload["nonce"], payload["values"]


def secret_marker(key: str, nonce: str) -> str:
    """What the stored body shows instead of a secret. The nonce makes it unguessable, so text
    a consumer typed (a name, say) can never be mistaken for it."""
    return f"[{key} hidden:{nonce}]"


def _inject(text: str, nonce: str, values: dict[str, str], *, html: bool = False) -> str:
    for key, value in values.items():
        text = text.replace(secret_marker(key, nonce), escape(value) if html else value)
    return text


def new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return make_msgid(idstring="outbox", domain=domain)


# --- Sending -------------------------------------------------------------------------------------


def _claim(email_id: int, now: datetime, claimant: str) -> bool:
    """Take the right to send this email, atomically: exactly one caller gets True. A claim
    still running is left alone, unless its holder is proven dead (core.leases): this very
    Celery task delivered again."""
    claimable = (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | leases.redelivered_claim()
    )
    claimed = OutboundEmail.objects.filter(
        claimable, pk=email_id, state=OutboundEmail.State.PENDING
    ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), claimed_by=claimant)
    return claimed == 1


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    nonce, values = unseal(email.secrets_sealed)
    message = EmailMultiAlternatives(
        subject=_inject(email.subject, nonce, values),
        body=_inject(email.body_text, nonce, values),
        to=[email.to],
        reply_to=[_reply_to()],
        headers={"Message-ID": email.message_id or _legacy_message_id(email)},
    )
    if email.body_html:
        message.attach_alternative(_inject(email.body_html, nonce, values, html=True), "text/html")
    return message


def _legacy_message_id(email: OutboundEmail) -> str:
    """Rows queued before Message-IDs were stored get one now, kept for their retries."""
    message_id = new_message_id()
    OutboundEmail.objects.filter(pk=email.pk, message_id__isnull=True).update(message_id=message_id)
    return str(OutboundEmail.objects.values_list("message_id", flat=True).get(pk=email.pk))


def email_send(*, email_id: int) -> bool:
    """Send one queued email if nobody else is. Returns True when this call sent it."""
    now = timezone.now()
    if not _claim(email_id, now, leases.current_claimant()):
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        message = _message(email)
    except InvalidToken as exc:
        # The key changed since it was queued: no retry can read the secrets. Staff see it.
        _record_failure(email, exc, for_good=True)
        return False
    try:
        message.send()
    except Exception as exc:
        _record_failure(email, exc)
        return False
    _record_sent(email)
    return True


def _record_sent(email: OutboundEmail) -> None:
    """Mark the row sent. The mail server has the message now, so the database must learn it
    even if the connection the send began with died meanwhile: each try after the first runs on
    a fresh connection, with backoff, for up to RECORD_RETRY_SECONDS."""
    deadline = time.monotonic() + RECORD_RETRY_SECONDS
    pause = 0.5
    while True:
        try:
            OutboundEmail.objects.filter(pk=email.pk).update(
                state=OutboundEmail.State.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                claimed_until=None,
                claimed_by="",
                last_error="",
                secrets_sealed="",  # sent: the codes and tokens have done their job here
                **_redacted_if_flagged(),
            )
            return
        except DatabaseError:
            if time.monotonic() + pause > deadline or connection.in_atomic_block:
                # Only now can the sweep send it again, after the claim expires: at least
                # once, with the same Message-ID (module docstring).
                logger.exception("Email %s was sent but could not be recorded", email.pk)
                raise
            logger.warning("Recording email %s as sent failed; retrying", email.pk)
            connection.close()  # the next query opens a fresh connection
            time.sleep(pause)
            pause = min(pause * 2, 8)


REDACTED_FIELDS = ("to", "subject", "body_text", "body_html", "last_error", "secrets_sealed")


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
        if name not in ("last_error", "secrets_sealed")
    }


def _reply_to() -> str:
    return settings.COMPANY_PRIVACY_EMAIL


def _record_failure(email: OutboundEmail, exc: Exception, *, for_good: bool = False) -> None:
    attempts = email.attempts + 1
    failed_for_good = for_good or attempts >= MAX_ATTEMPTS
    # Exponential backoff: 1, 2, 4 ... minutes, at most a day.
    delay = timedelta(minutes=min(2 ** (attempts - 1), 24 * 60))
    # The class and codes only: a refusal's message carries the address (core.log_safety).
    logger.warning(
        "Sending email %s failed (attempt %s): %s", email.pk, attempts, error_summary(exc)
    )
    fields = {
        "attempts": attempts,
        "state": OutboundEmail.State.FAILED if failed_for_good else OutboundEmail.State.PENDING,
        "next_attempt_at": timezone.now() + delay,
        "claimed_until": None,
        "claimed_by": "",
        "last_error": f"{type(exc).__name__}: {exc}"[:2000],
    }
    if failed_for_good:
        # Nobody will send it now: its secrets go. The error may quote the address: a flagged
        # row keeps only the exception's name.
        fields |= _redacted_if_flagged() | {
            "secrets_sealed": "",
            "last_error": Case(
                When(redact_after_send=True, then=Value(type(exc).__name__)),
                default=Value(fields["last_error"]),
                output_field=TextField(),
            ),
        }
    OutboundEmail.objects.filter(pk=email.pk).update(**fields)


def outbox_send_due(*, now: datetime) -> int:
    """The sweep's outbox step: send every pending email whose next attempt is due."""
    due = OutboundEmail.objects.filter(
        state=OutboundEmail.State.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    return sum(email_send(email_id=pk) for pk in list(due))


def outbox_claims_release(*, worker_name: str) -> int:
    """A worker named `worker_name` (re)started: what its previous boot was sending, it never
    will. Free those claims so the sweep sends them now, not when they expire."""
    return (
        OutboundEmail.objects.filter(leases.held_by_previous_boot(worker_name))
        .filter(state=OutboundEmail.State.PENDING)
        .update(claimed_until=None, claimed_by="")
    )
