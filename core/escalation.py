"""One way to escalate overdue work: an open request past its due date
(requests_app.services.deadlines), a partner not told of an opt-out and a marketing preference
not applied in time (consent.services), a data system's task past its date
(fulfilment.services). Each caller selects its overdue rows and says, in an Escalation, how to
claim one, what to email and what to write in its history; overdue_escalate does the rest the
same way for all of them.

Exactly once: each row is claimed inside its own transaction (a conditional update, or an insert
a unique constraint guards) and its emails and history row are queued in that same transaction,
so two sweeps at once, or a sweep after a long outage, escalate it once; the emails also carry a
dedupe key. A row whose escalation fails is rolled back, logged and tried again by the next
sweep; it does not stop the others. With no officer to tell, nothing is claimed: the rows wait
until someone can be told, and the error log says so.

Placed in core, below every app, so that consent, requests_app and fulfilment can all call it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import models, transaction

from .mail import email_queue
from .staff import escalation_addresses

logger = logging.getLogger(__name__)

Row = TypeVar("Row")


@dataclass(frozen=True)
class OfficerEmail:
    """The escalation email to one recipient (core.mail.email_queue's arguments)."""

    template: str
    context: dict[str, Any]
    kind: str
    dedupe_key: str  # names the row and the recipient: each is told once


@dataclass(frozen=True)
class Escalation(Generic[Row]):
    """How one kind of overdue row is escalated. All three run in the row's transaction."""

    name: str  # for the logs: "partner notice"
    # Claim the row for this sweep: True when this call claimed it, False when another sweep
    # did (or the row is no longer overdue).
    claim: Callable[[Row], bool]
    email: Callable[[Row, str], OfficerEmail]
    # The history row, where the thing has a history: "every message sent is in the history".
    record: Callable[[Row, list[str]], None]


def overdue_escalate(*, rows: Iterable[Row], escalation: Escalation[Row]) -> int:
    """Escalate each of `rows` (already past its deadline) once, to every privacy officer and
    settings.ESCALATION_EMAIL. Returns how many this call escalated."""
    recipients = escalation_addresses()  # once per sweep, not once per row
    if not recipients:
        logger.error("Overdue %ss, but no officer has an email address to tell", escalation.name)
        return 0
    escalated = 0
    for row in rows:
        try:
            with transaction.atomic():
                if not escalation.claim(row):
                    continue
                for to in recipients:
                    email = escalation.email(row, to)
                    email_queue(
                        to=to,
                        template=email.template,
                        context=email.context,
                        kind=email.kind,
                        dedupe_key=email.dedupe_key,
                    )
                escalation.record(row, recipients)
            escalated += 1
        except Exception:
            logger.exception("Escalating %s %s failed", escalation.name, getattr(row, "pk", "?"))
    return escalated


def escalated_at_claim(row: models.Model, *, now: datetime, **still: Any) -> bool:
    """The claim of a row with an `escalated_at` column: a conditional update that only the
    first sweep's succeeds. `still` adds conditions the row must still meet (still pending)."""
    model = type(row)
    return bool(
        model._default_manager.filter(pk=row.pk, escalated_at__isnull=True, **still).update(
            escalated_at=now
        )
    )
