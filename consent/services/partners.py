"""Partner notices: each sale partner is told of an opt-out within 15 business days (11 CCR
7026(f)); staff confirm it, and a notice past its deadline is escalated to the officers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from core.escalation import Escalation, OfficerEmail, escalated_at_claim, overdue_escalate

from ..models import ConsentEvent, ConsentSource, PartnerNotice
from ._shared import SWEEP_BATCH, consent_event, site_url


def partner_notices_mark_told(*, notice_ids: Iterable[int], actor) -> int:
    """Staff confirm the partner was told (the suppression list sent). Records who and when.
    Returns how many notices it closed; notices already closed are left alone."""
    now = timezone.now()
    told = 0
    with transaction.atomic():
        notices = (
            PartnerNotice.objects.select_for_update(of=("self",))
            .filter(pk__in=list(notice_ids), state=PartnerNotice.State.PENDING)
            .select_related("partner", "consumer")
            .order_by("pk")
        )
        for notice in notices:
            notice.state = PartnerNotice.State.TOLD
            notice.done_at = now
            notice.done_by = actor
            notice.save(update_fields=["state", "done_at", "done_by"])
            consent_event(
                kind=ConsentEvent.Kind.PARTNER_TOLD,
                consumer=notice.consumer,
                source=ConsentSource.STAFF,
                actor=actor,
                detail=f"{notice.partner.name}, opt-out #{notice.episode}",
                at=now,
            )
            told += 1
    return told


def partner_notices_escalate_overdue(*, now: datetime) -> int:
    """The sweep's step: a partner notice still pending after its deadline is escalated to the
    officers, once (core.escalation). Returns how many it escalated."""
    overdue = (
        PartnerNotice.objects.filter(
            state=PartnerNotice.State.PENDING, escalated_at__isnull=True, due_at__lt=now
        )
        .select_related("partner", "consumer")
        .order_by("due_at")[:SWEEP_BATCH]
    )
    return overdue_escalate(rows=overdue, escalation=_partner_notice_escalation(now))


def _partner_notice_escalation(now: datetime) -> Escalation[PartnerNotice]:
    def claim(notice: PartnerNotice) -> bool:
        return escalated_at_claim(notice, now=now, state=PartnerNotice.State.PENDING)

    def email(notice: PartnerNotice, to: str) -> OfficerEmail:
        return OfficerEmail(
            template="consent/partner_notice_overdue",
            context={
                "partner": notice.partner.name,
                "received_on": legal_clock.local_date(notice.received_at),
                "due_on": legal_clock.local_date(notice.due_at),
                "admin_url": site_url(
                    reverse("admin:consent_partnernotice_change", args=[notice.pk])
                ),
            },
            kind="consent.partner_notice_overdue",
            dedupe_key=f"consent:partner-notice:{notice.pk}:overdue:{to}",
        )

    def record(notice: PartnerNotice, recipients: list[str]) -> None:
        consent_event(
            kind=ConsentEvent.Kind.PARTNER_NOTICE_ESCALATED,
            consumer=notice.consumer,
            source=ConsentSource.SWEEP,
            detail=notice.partner.name,
            at=now,
        )

    return Escalation(name="partner notice", claim=claim, email=email, record=record)
