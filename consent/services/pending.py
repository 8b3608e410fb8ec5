"""Pending matches: an opt-out given with an email address or a phone number that matches no
consumer yet waits, as a keyed hash, and applies when a consumer with that identifier appears
(saved: consent.signals; or raced an import: the sweep's re-match)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.mail import email_queue
from registry.models import Consumer

from ..identifiers import consumer_identifier_hashes, identifier_hash, identifier_parse
from ..models import ConsentEvent, ConsentSource, PendingOptOut
from ._shared import CONFIRMED_BY_EMAIL, consent_event
from .opt_out import opt_out_email_context, sale_opt_out


def sale_opt_out_by_identifier(*, identifier: str, source: str, actor=None) -> None:
    """An opt-out given with an email address or a phone number, without any verification.

    Every consumer with that email or phone is opted out at once; when nobody has it, the opt-out
    waits (as a keyed hash) for a consumer who does. Returns nothing on purpose: the caller must
    answer the same whether or not the identifier matched anyone. Raises IdentifierInvalid for
    input that is neither an email address nor a phone number.
    """
    kind, value = identifier_parse(identifier)
    field = "email" if kind == PendingOptOut.IdentifierKind.EMAIL else "phone"
    matches = list(Consumer.objects.filter(**{field: value}).order_by("pk"))
    for consumer in matches:
        sale_opt_out(consumer=consumer, source=source, actor=actor)
    if not matches:
        pending_opt_out_record(kind=kind, value=value, source=source, actor=actor)


def pending_opt_out_record(*, kind: str, value: str, source: str, actor=None) -> bool:
    """Keep an opt-out for an identifier that matches no consumer yet. Returns True when this
    call recorded it (False: one was already waiting for that identifier)."""
    digest = identifier_hash(kind, value)
    try:
        with transaction.atomic():
            pending, created = PendingOptOut.objects.get_or_create(
                identifier_kind=kind,
                identifier_hash=digest,
                applied_at__isnull=True,
                defaults={"source": source},
            )
            if not created:
                return False
            consent_event(
                kind=ConsentEvent.Kind.OPT_OUT_PENDING, consumer=None, source=source, actor=actor
            )
            if kind == PendingOptOut.IdentifierKind.EMAIL and source in CONFIRMED_BY_EMAIL:
                # The same email as a known consumer gets: the inbox learns nothing either way.
                email_queue(
                    to=value,
                    template="consent/opt_out_confirmed",
                    context=opt_out_email_context(received_at=pending.received_at),
                    kind="consent.opt_out",
                    dedupe_key=f"consent:pending-opt-out:{pending.pk}",
                )
    except IntegrityError:
        # A simultaneous submission of the same identifier recorded it first.
        return False
    return True


def pending_opt_outs_apply(*, consumer: Consumer) -> bool:
    """Apply any waiting opt-out given with this consumer's email or phone. Called when a
    consumer is saved (consent.signals) and by the sweep's re-match step. Returns True when one
    was applied."""
    hashes = consumer_identifier_hashes(email=consumer.email, phone=consumer.phone)
    if not hashes:
        return False
    waiting = PendingOptOut.objects.filter(applied_at__isnull=True)
    candidates = [
        pending
        for kind, digest in hashes
        for pending in waiting.filter(identifier_kind=kind, identifier_hash=digest)
    ]
    if not candidates:
        return False
    now = timezone.now()
    with transaction.atomic():
        # Claimed with a conditional update: two savers of the same consumer apply it once.
        claimed = PendingOptOut.objects.filter(
            pk__in=[p.pk for p in candidates], applied_at__isnull=True
        ).update(applied_at=now, applied_to=consumer)
        if not claimed:
            return False
        first = min(candidates, key=lambda p: p.received_at)
        sale_opt_out(
            consumer=consumer,
            source=ConsentSource.EARLIER_REQUEST,
            received_at=first.received_at,
        )
    return True


def pending_opt_outs_rematch(*, now: datetime, window: timedelta = timedelta(days=2)) -> int:
    """The sweep's safety net for a race the save signal cannot see: a consumer imported in
    the same moment as an opt-out for them (each transaction saw no trace of the other). Looks
    only at opt-outs received within `window` and consumers saved since. Returns how many
    consumers it opted out."""
    recent = PendingOptOut.objects.filter(
        applied_at__isnull=True, received_at__gte=now - window
    ).values_list("identifier_kind", "identifier_hash", "received_at")
    wanted = {(kind, digest) for kind, digest, _ in recent}
    if not wanted:
        return 0
    since = min(received for _, _, received in recent) - timedelta(minutes=10)
    applied = 0
    consumers = Consumer.objects.filter(updated_at__gte=since).only("pk", "email", "phone")
    for consumer in consumers.iterator(chunk_size=2000):
        if wanted.intersection(
            consumer_identifier_hashes(email=consumer.email, phone=consumer.phone)
        ):
            applied += pending_opt_outs_apply(consumer=consumer)
    return applied
