"""What every consent service shares: the history row, the consumer's lock, the status row, the
site's links. Private to consent.services (callers import from consent.services)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from registry.models import Consumer

from ..models import ConsentEvent, ConsentSource, SaleStatus

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
