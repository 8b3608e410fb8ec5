"""Sending email through the outbox (core.models.OutboundEmail).

    email_queue(to=..., template="requests/received", context={...}, kind="request.received",
                dedupe_key=f"request:{pk}:received")

renders templates/emails/<template>.subject.txt, .txt and .html, stores the message, and after
commit asks a worker to send it. email_send() claims the row atomically before sending, so two
senders (a task and the sweep, or two sweeps) never both send it.

Secrets. The context values under SECRET_CONTEXT_KEYS (and any passed as `secrets=`) are email
codes and links that carry a token: whoever reads them can act as the consumer. They are never
written into the stored subject or bodies. The templates are rendered with a marker in their
place, the values are encrypted (Fernet, key OUTBOX_ENCRYPTION_KEY) into `secrets_sealed`, and
put in only when the message is built for sending; the send that succeeds blanks them. The
admin, exports and the database hold markers, never a live code.

What is guaranteed: every queued email is sent at least once, unless it keeps failing
MAX_ATTEMPTS times (then it is marked failed for staff). It is sent twice only if the database
stays unreachable for all of RECORD_RETRY_SECONDS right after the mail server accepted it, so
that the send cannot be recorded; the copy then carries the same Message-ID header (one per row,
the same on every attempt), by which receiving servers, mail clients and our tests recognise it.
"""

import logging
import secrets as secrets_module

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .context_processors import company_details
from .models import OutboundEmail

# The sending side, named here too: `core.mail` is the outbox's one address for its callers.
from .outbox import (
    MAX_ATTEMPTS,
    email_send,
    new_message_id,
    outbox_claims_release,
    outbox_send_due,
    redaction,
    seal,
    secret_marker,
    unseal,
)
from .tasks import send_email

logger = logging.getLogger(__name__)

# Context keys whose values are secrets in every template that uses them: the email code, and
# the links that carry a token (status, agent confirmation, answer, preferences,
# re-authorization).
SECRET_CONTEXT_KEYS = frozenset({"code", "link", "link_url", "answer_url"})


class SecretLeak(ValueError):
    """A template shows a secret in a way the outbox cannot keep out of the stored body."""


# --- Secrets -------------------------------------------------------------------------------------
# Sealed and unsealed in core.outbox; kept out of the stored bodies here, when an email is queued.


def _split_secrets(context: dict, secrets: dict | None) -> tuple[dict, dict[str, str], str]:
    values = {key: str(context[key]) for key in SECRET_CONTEXT_KEYS if key in context}
    values |= {key: str(value) for key, value in (secrets or {}).items()}
    nonce = secrets_module.token_hex(6)
    masked = context | {key: secret_marker(key, nonce) for key in values}
    return masked, values, nonce


def _check_no_leak(values: dict[str, str], nonce: str, rendered: tuple[str, str, str]) -> None:
    stored = "\n".join(rendered)
    for key, value in values.items():
        if value and value in stored:
            raise SecretLeak(f"The secret {key!r} appears in the stored email in clear")
        if secret_marker(key, nonce) not in stored:
            # A filter changed the marker (|lower, |truncatechars): it could never be replaced.
            raise SecretLeak(f"The secret {key!r} is passed but the email does not show it")


# --- Queueing ------------------------------------------------------------------------------------


def _render(template: str, context: dict) -> tuple[str, str, str]:
    base = {"company": company_details()}
    base.update(context)
    subject = render_to_string(f"emails/{template}.subject.txt", base)
    text = render_to_string(f"emails/{template}.txt", base)
    html = render_to_string(f"emails/{template}.html", base)
    return " ".join(subject.split()), text, html


def email_queue(
    *,
    to: str,
    template: str,
    context: dict,
    kind: str,
    dedupe_key: str | None = None,
    secrets: dict | None = None,
) -> OutboundEmail | None:
    """Store an email to send after the current transaction commits.

    Returns None when an email with the same dedupe_key was queued before: each notice goes out
    at most once. Call it inside the transaction that makes the change the email announces.
    Values under SECRET_CONTEXT_KEYS, and `secrets`, are stored encrypted, never in the body.
    """
    masked, values, nonce = _split_secrets(context, secrets)
    subject, text, html = _render(template, masked)
    _check_no_leak(values, nonce, (subject, text, html))
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to=to,
                subject=subject,
                body_text=text,
                body_html=html,
                kind=kind,
                dedupe_key=dedupe_key,
                message_id=new_message_id(),
                secrets_sealed=seal(values, nonce),
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
    try:
        send_email.apply_async(args=(email_id,), retry=False)
    except Exception:
        logger.warning("Broker unavailable; email %s will go out with the next sweep", email_id)


__all__ = [
    "MAX_ATTEMPTS",
    "SECRET_CONTEXT_KEYS",
    "SecretLeak",
    "email_queue",
    "email_send",
    "outbox_claims_release",
    "outbox_send_due",
    "redaction",
    "secret_marker",
    "unseal",
]
