"""The opt-out of sale (Civ. Code 1798.120): from the form, an account, staff, or a browser's
Global Privacy Control signal (11 CCR 7025). It needs no verification (11 CCR 7026(d))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from core.mail import email_queue
from registry.models import Consumer

from ..models import ConsentEvent, ConsentSource, PartnerNotice, SaleStatus
from ..selectors import sale_partners
from ._shared import (
    CONFIRMED_BY_EMAIL,
    consent_event,
    consumer_lock,
    sale_status_for_update,
    site_url,
)


@dataclass(frozen=True)
class OptOutResult:
    consumer_id: int
    newly_opted_out: bool


def sale_opt_out(
    *,
    consumer: Consumer,
    source: str,
    actor=None,
    received_at: datetime | None = None,
) -> OptOutResult:
    """Turn the consumer's sale flag off at once and record it (Civ. Code 1798.120).

    Idempotent: an opt-out already in effect is left exactly as it is (one effective opt-out,
    however many arrive). A new opt-out gets a notice to every sale partner, due 15 business
    days from now (11 CCR 7026(f)), and its confirmation email. `received_at` is when the
    consumer gave the direction (earlier than now for an opt-out that waited for the consumer
    to appear); the 12 months before re-authorization may be asked count from it.
    """
    now = timezone.now()
    received_at = received_at or now
    with transaction.atomic():
        locked = consumer_lock(consumer)
        status = sale_status_for_update(locked)
        if status.state == SaleStatus.State.OPTED_OUT:
            return OptOutResult(consumer_id=locked.pk, newly_opted_out=False)
        status.state = SaleStatus.State.OPTED_OUT
        status.source = source
        status.changed_at = received_at
        status.episode += 1
        status.opted_in_by = ""
        status.opt_in_overrides_gpc = False
        status.reauthorization_ask_from = legal_clock.reauthorization_ask_from(received_at)
        status.reauthorization_asked_at = None
        status.reauthorization_answered_at = None
        status.save(
            update_fields=[
                "state",
                "source",
                "changed_at",
                "episode",
                "opted_in_by",
                "opt_in_overrides_gpc",
                "reauthorization_ask_from",
                "reauthorization_asked_at",
                "reauthorization_answered_at",
                "updated_at",
            ]
        )
        consent_event(kind=ConsentEvent.Kind.OPTED_OUT, consumer=locked, source=source, actor=actor)
        # The partners are told within 15 business days of the moment the portal could act on
        # the opt-out: now (for an earlier opt-out, nothing was held about them until now).
        due_at = legal_clock.opt_out_effective_by(now)
        PartnerNotice.objects.bulk_create(
            PartnerNotice(
                consumer=locked,
                partner=partner,
                episode=status.episode,
                received_at=now,
                due_at=due_at,
            )
            for partner in sale_partners()
        )
        if source in CONFIRMED_BY_EMAIL and locked.email:
            email_queue(
                to=locked.email,
                template="consent/opt_out_confirmed",
                context=opt_out_email_context(received_at=now),
                kind="consent.opt_out",
                dedupe_key=f"consent:opt-out:{locked.pk}:{status.episode}",
            )
    return OptOutResult(consumer_id=locked.pk, newly_opted_out=True)


def opt_out_email_context(*, received_at: datetime) -> dict:
    return {
        "received_on": legal_clock.local_date(received_at),
        "partners_by": legal_clock.local_date(legal_clock.opt_out_effective_by(received_at)),
        "do_not_sell_url": site_url(reverse("consent:do_not_sell")),
        "preferences_url": site_url(reverse("consent:preferences")),
    }


def sale_opt_out_from_signal(*, consumer: Consumer) -> bool:
    """A Global Privacy Control signal from a browser the consumer is known in: an opt-out,
    with no further question (11 CCR 7025). Reads before it writes, so a consumer already opted
    out costs one query. An opt-in the consumer confirmed while their browser sent the signal
    and after being told of the conflict is respected (11 CCR 7025(c)(3)). Returns True when it
    opted the consumer out."""
    status = SaleStatus.objects.filter(consumer=consumer).only("state", "opt_in_overrides_gpc")
    current = status.first()
    if current is not None and (
        current.state == SaleStatus.State.OPTED_OUT
        or (current.state == SaleStatus.State.OPTED_IN and current.opt_in_overrides_gpc)
    ):
        return False
    return sale_opt_out(consumer=consumer, source=ConsentSource.GPC).newly_opted_out
