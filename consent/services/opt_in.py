"""The opt-in: an explicit authorization to sell, the only way sale resumes after an opt-out."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from registry.models import Consumer

from ..models import ConsentEvent, PartnerNotice, SaleStatus
from ._shared import consent_event, consumer_lock, sale_status_for_update
from .minors import opt_in_age_check


def opt_in_record(
    status: SaleStatus,
    *,
    consumer: Consumer,
    authorized_by: str,
    source: str,
    actor,
    despite_gpc: bool,
    now: datetime,
) -> None:
    """Write the opt-in on the locked status row, its history row, and withdraw the partner
    notices not yet sent. Call with the consumer's row locked and the age checked."""
    status.state = SaleStatus.State.OPTED_IN
    status.source = source
    status.changed_at = now
    status.opted_in_by = authorized_by
    status.opt_in_overrides_gpc = despite_gpc
    status.reauthorization_ask_from = None
    status.save(
        update_fields=[
            "state",
            "source",
            "changed_at",
            "opted_in_by",
            "opt_in_overrides_gpc",
            "reauthorization_ask_from",
            "reauthorization_answered_at",
            "updated_at",
        ]
    )
    consent_event(
        kind=ConsentEvent.Kind.OPTED_IN,
        consumer=consumer,
        source=source,
        actor=actor,
        detail=f"by {SaleStatus.Authorizer(authorized_by).label.lower()}",
        at=now,
    )
    # Partners not yet told of the opt-out the consumer just withdrew need not be.
    withdrawn = PartnerNotice.objects.filter(
        consumer=consumer, state=PartnerNotice.State.PENDING
    ).update(state=PartnerNotice.State.WITHDRAWN, done_at=now)
    if withdrawn:
        consent_event(
            kind=ConsentEvent.Kind.PARTNER_NOTICE_WITHDRAWN,
            consumer=consumer,
            source=source,
            detail=f"{withdrawn} pending notice(s)",
            at=now,
        )


def sale_opt_in(
    *,
    consumer: Consumer,
    authorized_by: str,
    source: str,
    actor=None,
    despite_gpc: bool = False,
) -> bool:
    """Record an explicit authorization to sell the consumer's personal information: the only
    way sale resumes after an opt-out, and the only way a consumer known to be under 16 is ever
    sold. Under 13, only a parent's or guardian's (verified by staff) counts; OptInRefused
    otherwise. Returns True when it changed anything.

    The caller makes sure the opt-in is explicit and, for a consumer 13 to 15, given in two steps
    (asked, then confirmed: 11 CCR 7028(a)).
    """
    opt_in_age_check(consumer, authorized_by=authorized_by)
    now = timezone.now()
    with transaction.atomic():
        locked = consumer_lock(consumer)
        status = sale_status_for_update(locked)
        if (
            status.state == SaleStatus.State.OPTED_IN
            and status.opted_in_by == authorized_by
            and status.opt_in_overrides_gpc == despite_gpc
        ):
            return False
        opt_in_record(
            status,
            consumer=locked,
            authorized_by=authorized_by,
            source=source,
            actor=actor,
            despite_gpc=despite_gpc,
            now=now,
        )
    return True
