"""The legal clock at work: extensions, and the sweep's timed notices and purges.

Every sweep function here is safe to run twice or twice at once: a notice is claimed by
inserting its DeadlineNotice row (unique per request and kind) in the same transaction that
queues its email, so whoever inserts first sends it and everyone else skips it.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core import legal_clock
from core.escalation import Escalation, OfficerEmail, overdue_escalate
from core.mail import email_queue
from core.staff import officer_email_addresses

from ..models import (
    OPEN_STATUSES,
    DeadlineNotice,
    EmailChallenge,
    PrivacyRequest,
    RequestEvent,
    Status,
)
from . import lifecycle
from .history import event_record
from .lifecycle import WrongState
from .notify import notify, request_context

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 1000


class ExtensionRefused(Exception):
    """The extension breaks a rule; the message says which, for the officer."""


# --- Extension ---------------------------------------------------------------------------------


def request_extend(
    *,
    privacy_request: PrivacyRequest,
    actor,
    new_due_date: date,
    reason: str,
    now: datetime | None = None,
) -> PrivacyRequest:
    """Extend the answer's due date once, with the reason the consumer is told, before the first
    due date passes, to at most 90 days from receipt (Civ. Code 1798.130(a)(2); the notice).

    The caller checks that `actor` may extend (a privacy officer).
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ExtensionRefused("Give the reason for the extension: the consumer is told it.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ExtensionRefused(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    with transaction.atomic():
        locked = PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)
        extension_check(locked, new_due_date=new_due_date, now=now)
        locked.extended_due_at = legal_clock.end_of_day(new_due_date)
        locked.extension_reason = reason
        locked.extended_at = now
        locked.save(
            update_fields=["extended_due_at", "extension_reason", "extended_at", "updated_at"]
        )
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.EXTENDED,
            actor=actor,
            actor_label="staff",
            detail=f"New due date {new_due_date:%-d %B %Y}. Reason: {reason}",
            at=now,
        )
        notify(
            privacy_request=locked,
            template="extended",
            kind="request.extended",
            context={"reason": reason},
            once_key="extended",
        )
    return locked


def extension_check(privacy_request: PrivacyRequest, *, new_due_date: date, now: datetime) -> None:
    """Raise ExtensionRefused, with the officer's message, unless request_extend may move the
    answer to `new_due_date` now. It reads only the row: the database is not asked."""
    if not privacy_request.is_open:
        raise ExtensionRefused("Only an open request can be extended.")
    if privacy_request.extended_at is not None:
        raise ExtensionRefused("This request was already extended once; the law allows one.")
    if now > privacy_request.due_at:
        raise ExtensionRefused(
            "The first due date has passed: the consumer must be told of an extension before "
            "it, so the request can no longer be extended."
        )
    first_due = legal_clock.local_date(privacy_request.due_at)
    if new_due_date <= first_due:
        raise ExtensionRefused(f"The new due date must be after {first_due:%-d %B %Y}.")
    # The local day of the stored limit the database's check `extension_within_ninety_days`
    # reads: the end of any later day is past it. (Dates, not instants: a far-off date typed
    # by mistake has no instant.)
    latest = extension_latest_date(privacy_request)
    if new_due_date > latest:
        raise ExtensionRefused(
            f"The new due date can be at most {settings.EXTENDED_RESPONSE_MAX_DAYS} days from "
            f"receipt: {latest:%-d %B %Y}."
        )


def extension_latest_date(privacy_request: PrivacyRequest) -> date:
    """The last local day an extension may reach, as the officer's form offers it."""
    return legal_clock.local_date(privacy_request.extension_limit_at)


# --- Timed notices ------------------------------------------------------------------------------


def _claim_notice(privacy_request: PrivacyRequest, kind: str, *, now: datetime, superseded=False):
    """Insert the notice row, or return None if another sweep already did. Call inside the
    transaction that sends the notice, so a failed send releases the claim."""
    try:
        with transaction.atomic():
            return DeadlineNotice.objects.create(
                request=privacy_request, kind=kind, sent_at=now, superseded=superseded
            )
    except IntegrityError:
        return None


def _open_requests():
    return PrivacyRequest.objects.filter(status__in=OPEN_STATUSES)


def acknowledgments_send(*, now: datetime) -> int:
    """Acknowledge every request not yet acknowledged (11 CCR 7021(a): within 10 business days),
    such as one logged by staff; web requests are acknowledged on receipt."""
    sent = 0
    # Without an email address the acknowledgment goes by post: staff see it pending in the
    # request's history, and the sweep must not mark it done.
    pending = _open_requests().filter(acknowledged_at__isnull=True).exclude(requester_email="")
    for privacy_request in pending[:500]:
        with transaction.atomic():
            if _claim_notice(privacy_request, DeadlineNotice.Kind.ACKNOWLEDGMENT, now=now) is None:
                continue
            notify(
                privacy_request=privacy_request,
                template="received",
                kind="request.received",
                once_key="received",
            )
            PrivacyRequest.objects.filter(pk=privacy_request.pk).update(acknowledged_at=now)
            sent += 1
    return sent


REMINDER_KINDS = {
    10: DeadlineNotice.Kind.REMINDER_10,
    5: DeadlineNotice.Kind.REMINDER_5,
    1: DeadlineNotice.Kind.REMINDER_1,
}


def days_left(privacy_request: PrivacyRequest, *, now: datetime) -> int:
    """Whole days from today to the due date, both in the business's time zone."""
    due = legal_clock.local_date(privacy_request.current_due_at)
    return (due - legal_clock.local_date(now)).days


def reminders_send(*, now: datetime) -> int:
    """Remind the assigned officer (or every officer) at 10, 5 and 1 days left. After an outage
    only the most urgent reminder crossed goes out; the earlier ones are recorded as
    superseded, since "10 days left" sent with 3 left would mislead."""
    thresholds = sorted(
        (d for d in settings.REMINDER_DAYS_LEFT if d in REMINDER_KINDS), reverse=True
    )
    if not thresholds:
        return 0
    # Due on or before the local day `max(thresholds)` days from today: in local days, like
    # days_left. (now + 11 days missed, for its first hour after midnight, a due date whose
    # end is an hour further away across the night the clocks go back.)
    horizon = legal_clock.end_of_day(legal_clock.today(now) + timedelta(days=max(thresholds)))
    candidates = (
        _open_requests()
        .filter(
            Q(extended_due_at__isnull=True, due_at__lte=horizon) | Q(extended_due_at__lte=horizon),
            Q(extended_due_at__gt=now) | Q(extended_due_at__isnull=True, due_at__gt=now),
        )
        .select_related("assigned_to")
    )
    sent = 0
    officers = officer_email_addresses()  # once per sweep, not once per request
    for privacy_request in candidates:
        left = days_left(privacy_request, now=now)
        crossed = [d for d in thresholds if left <= d]
        if not crossed:
            continue
        sent += _send_reminder(privacy_request, crossed, left=left, officers=officers, now=now)
    return sent


def _send_reminder(
    privacy_request: PrivacyRequest, crossed: list[int], *, left: int, officers: list[str], now
) -> int:
    most_urgent = min(crossed)
    with transaction.atomic():
        claimed = _claim_notice(privacy_request, REMINDER_KINDS[most_urgent], now=now)
        for earlier in crossed:
            if earlier != most_urgent:
                _claim_notice(privacy_request, REMINDER_KINDS[earlier], now=now, superseded=True)
        if claimed is None:
            return 0
        recipients = _reminder_recipients(privacy_request, officers=officers)
        for address in recipients:
            email_queue(
                to=address,
                template="requests/staff_reminder",
                context=request_context(privacy_request) | {"days_left": left},
                kind="staff.reminder",
                dedupe_key=f"request:{privacy_request.pk}:reminder-{most_urgent}:{address}",
            )
        event_record(
            privacy_request=privacy_request,
            kind=RequestEvent.Kind.REMINDER,
            actor_label="system",
            detail=f"{left} day(s) left; sent to {len(recipients)} staff member(s)",
            visible_to_consumer=False,
            at=now,
        )
    return 1


def _reminder_recipients(privacy_request: PrivacyRequest, *, officers: list[str]) -> list[str]:
    officer = privacy_request.assigned_to
    if officer is not None and officer.is_active and officer.email:
        return [officer.email]
    return officers


def escalations_send(*, now: datetime) -> int:
    """Escalate each overdue open request once, to every officer and the escalation address
    (core.escalation). Its OVERDUE notice row is the claim."""
    overdue = (
        _open_requests()
        .filter(Q(extended_due_at__isnull=True, due_at__lt=now) | Q(extended_due_at__lt=now))
        .select_related("assigned_to")
        .order_by("pk")
    )
    return overdue_escalate(rows=overdue, escalation=_request_escalation(now))


def _request_escalation(now: datetime) -> Escalation[PrivacyRequest]:
    def claim(privacy_request: PrivacyRequest) -> bool:
        return _claim_notice(privacy_request, DeadlineNotice.Kind.OVERDUE, now=now) is not None

    def email(privacy_request: PrivacyRequest, to: str) -> OfficerEmail:
        return OfficerEmail(
            template="requests/staff_overdue",
            context=request_context(privacy_request)
            | {"days_over": -days_left(privacy_request, now=now)},
            kind="staff.overdue",
            dedupe_key=f"request:{privacy_request.pk}:overdue:{to}",
        )

    def record(privacy_request: PrivacyRequest, recipients: list[str]) -> None:
        event_record(
            privacy_request=privacy_request,
            kind=RequestEvent.Kind.ESCALATED,
            actor_label="system",
            detail=f"Escalated to {len(recipients)} address(es)",
            visible_to_consumer=False,
            at=now,
        )

    return Escalation(name="request", claim=claim, email=email, record=record)


def unconfirmed_requests_close(*, now: datetime) -> int:
    """Close requests whose email address was never confirmed within 7 days, telling the
    address given (it may belong to the requester after all)."""
    cutoff = now - timedelta(days=settings.CLOSE_UNCONFIRMED_AFTER_DAYS)
    stale = PrivacyRequest.objects.filter(status=Status.EMAIL_UNCONFIRMED, received_at__lt=cutoff)
    closed = 0
    for privacy_request in stale:
        with transaction.atomic():
            if (
                _claim_notice(privacy_request, DeadlineNotice.Kind.CLOSED_UNCONFIRMED, now=now)
                is None
            ):
                continue
            try:
                lifecycle.transition_perform(
                    privacy_request,
                    lifecycle.CLOSE_UNCONFIRMED,
                    writes={"closed_at": now},
                    detail="The email address was not confirmed within "
                    f"{settings.CLOSE_UNCONFIRMED_AFTER_DAYS} days.",
                    message_context={"days": settings.CLOSE_UNCONFIRMED_AFTER_DAYS},
                    at=now,
                )
            except WrongState:
                continue  # confirmed since it was read: the claim stays, the request goes on
            closed += 1
    return closed


# --- Purges -------------------------------------------------------------------------------------


def answered_requests_purge(*, now: datetime) -> int:
    """Erase the personal data of requests answered (or withdrawn, or closed) more than 24
    months ago (11 CCR 7101), keeping the minimal record: dates, type, channel, the nature of
    the response and any reason for denial. Agent documents and codes go with it."""
    before = legal_clock.request_records_purge_before(now)
    finished_long_ago = (
        Q(responded_at__lt=before) | Q(withdrawn_at__lt=before) | Q(closed_at__lt=before)
    )
    due = PrivacyRequest.objects.filter(finished_long_ago, personal_data_purged_at__isnull=True)
    purged = 0
    for privacy_request in due.select_related("agent_document")[:500]:
        with transaction.atomic():
            # The conditional update claims the row: a second sweep finds nothing to do.
            updated = PrivacyRequest.objects.filter(
                pk=privacy_request.pk, personal_data_purged_at__isnull=True
            ).update(
                requester_name="",
                requester_email="",
                subject_name="",
                subject_email="",
                declaration_name="",
                consumer=None,
                requester_user=None,
                personal_data_purged_at=now,
            )
            if not updated:
                continue
            _delete_agent_document(privacy_request)
            privacy_request.challenges.all().delete()
            event_record(
                privacy_request=privacy_request,
                kind=RequestEvent.Kind.PERSONAL_DATA_PURGED,
                actor_label="system",
                visible_to_consumer=False,
                at=now,
            )
            purged += 1
    return purged


def _delete_agent_document(privacy_request: PrivacyRequest) -> None:
    from .submission import agent_documents_folder

    document = getattr(privacy_request, "agent_document", None)
    if document is None:
        return
    stored = agent_documents_folder() / document.stored_name
    document.delete()
    transaction.on_commit(lambda: stored.unlink(missing_ok=True))


def verification_artefacts_purge(*, now: datetime) -> int:
    """Spent or expired codes and links, a day after they stopped working."""
    deleted, _ = EmailChallenge.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted


__all__ = [
    "ExtensionRefused",
    "WrongState",
    "extension_check",
    "extension_latest_date",
    "acknowledgments_send",
    "answered_requests_purge",
    "escalations_send",
    "reminders_send",
    "request_extend",
    "unconfirmed_requests_close",
    "verification_artefacts_purge",
]
