"""What every consent service shares: the history row, the consumer's lock, the status row, the
site's links. Private to consent.services (callers import from consent.services)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.staff import escalation_addresses
from registry.models import Consumer

from ..models import ConsentEvent, ConsentSource, SaleStatus

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
# Opt-outs whose confirmation is emailed to the consumer. A GPC signal is answered on the page
# itself, and an earlier opt-out applied on import was confirmed when it was given.
CONFIRMED_BY_EMAIL = {ConsentSource.WEB_FORM, ConsentSource.ACCOUNT, ConsentSource.STAFF}


class LinkInvalid(Exception):
    """A link is unknown, expired, or already used."""


def site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def consent_event(
    *,
    kind: str,
    consumer: Consumer | None,
    source: str = "",
    actor=None,
    detail: str = "",
    at: datetime | None = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        consumer=consumer,
        kind=kind,
        source=source,
        actor=actor,
        detail=detail[:200],
        created_at=at or timezone.now(),
    )


def consumer_lock(consumer: Consumer) -> Consumer:
    """Lock the consumer's row for the rest of the transaction: every change of their consent
    takes this lock first, so concurrent changes for one person run one after the other."""
    return Consumer.objects.select_for_update().get(pk=consumer.pk)


def sale_status_for_update(consumer: Consumer) -> SaleStatus:
    """The consumer's status row, created if missing; call with the consumer's row locked."""
    status, _ = SaleStatus.objects.get_or_create(consumer=consumer)
    return status


def overdue_escalate(*, model, deadline: str, now: datetime, related: tuple, escalate) -> int:
    """Claim each pending row past its deadline with a conditional update (two sweeps never
    escalate one twice) and hand it to `escalate(row, recipients)` in the same transaction.
    One failing row does not stop the others. Returns how many were escalated."""
    recipients = escalation_addresses()
    if not recipients:
        logger.error("Overdue consent deadlines, but no officer has an email address to tell")
        return 0
    pending = model.State.PENDING
    overdue = (
        model.objects.filter(state=pending, escalated_at__isnull=True, **{f"{deadline}__lt": now})
        .order_by(deadline)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    escalated = 0
    for pk in list(overdue):
        try:
            with transaction.atomic():
                claimed = model.objects.filter(
                    pk=pk, state=pending, escalated_at__isnull=True
                ).update(escalated_at=now)
                if not claimed:
                    continue
                escalate(model.objects.select_related(*related).get(pk=pk), recipients)
            escalated += 1
        except Exception:
            logger.exception("Escalating %s %s failed", model._meta.verbose_name, pk)
    return escalated
