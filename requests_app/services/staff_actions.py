"""What staff do to a request. One function per action; each is one transaction that checks
the current state, sets the new one and appends to the history with actor, time and reason.

Permission checks belong to the caller (staff views check the role's permission); these
functions hold the rules about states.
"""

from collections.abc import Callable, Sized
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    OPEN_STATUSES,
    DeletionException,
    DenialReason,
    Outcome,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
    VerificationMethod,
    VerificationTier,
)
from .history import event_record
from .notify import notify
from .verification import (
    VerificationOutcome,
    WrongState,
    _deny,
    _downgrade_to_categories,
    _mark_verified,
)

NOTE_MAX_LENGTH = 4000


class ActionRefused(Exception):
    """The action does not fit the request's state, or its input is incomplete."""


def _locked(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)


def require_status(privacy_request: PrivacyRequest, *statuses: str, action: str) -> None:
    """Refuse the action unless the request is in one of `statuses` (ActionRefused)."""
    if privacy_request.status not in statuses:
        raise ActionRefused(
            f"Cannot {action}: the request is {privacy_request.get_status_display().lower()}."
        )


def request_verify_manually(
    *,
    privacy_request: PrivacyRequest,
    actor,
    reason: str,
    tier: str = VerificationTier.TWO,
    now: datetime | None = None,
) -> VerificationOutcome:
    """Staff verified the consumer themselves (for example on a call, or from documents sent by
    mail). The reason says how, and the tier what was established: specific pieces need three
    data points and a signed declaration, or they are answered as categories. The cap of
    requests to know still applies."""
    now = now or timezone.now()
    if not reason.strip():
        raise ActionRefused("Say how the identity was verified.")
    if tier not in (VerificationTier.TWO, VerificationTier.THREE):
        raise ActionRefused("Choose the level of verification reached.")
    with transaction.atomic():
        locked = _locked(privacy_request)
        require_status(locked, Status.EMAIL_UNCONFIRMED, Status.VERIFYING, action="verify it")
        if locked.consumer_id is None:
            raise ActionRefused(
                "Link the request to a consumer in the registry before verifying it."
            )
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.NOTE,
            actor=actor,
            actor_label="staff",
            detail=f"Verified by hand: {reason.strip()}",
            visible_to_consumer=False,
            at=now,
        )
        if locked.request_type == RequestType.KNOW_SPECIFIC and tier == VerificationTier.TWO:
            _downgrade_to_categories(locked, now=now)
        return _mark_verified(
            locked,
            method=VerificationMethod.STAFF,
            tier=tier,
            actor=actor,
            now=now,
        )


def request_approve(*, privacy_request: PrivacyRequest, actor, now: datetime | None = None):
    """The officer confirms the verified request will be carried out."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(privacy_request)
        require_status(locked, Status.VERIFIED, action="approve it")
        locked.status = Status.APPROVED
        locked.save(update_fields=["status", "updated_at"])
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.APPROVED,
            actor=actor,
            actor_label="staff",
            at=now,
        )
    return locked


def request_work_start(
    *,
    privacy_request: PrivacyRequest,
    actor,
    plan: Callable[[PrivacyRequest], Sized],
    now: datetime | None = None,
):
    """Work on the answer begins: approved becomes in progress. `plan` creates the work for the
    locked request, in the same transaction, and returns it; the history counts it. The work is
    the caller's to know (fulfilment.services.request_fulfilment_start plans one task per data
    system): requests_app sits below fulfilment and never imports it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(privacy_request)
        require_status(locked, Status.APPROVED, action="start fulfilment")
        locked.status = Status.IN_PROGRESS
        locked.save(update_fields=["status", "updated_at"])
        work = plan(locked)
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.FULFILMENT_STARTED,
            actor=actor,
            actor_label="staff",
            detail=f"{len(work)} data system task(s)",
            at=now,
        )
    return locked


def request_deny(
    *,
    privacy_request: PrivacyRequest,
    actor,
    reason: str,
    explanation: str,
    exception: str = "",
    now: datetime | None = None,
):
    """Deny with a reason the metrics count and an explanation the consumer reads. A denial
    under an exception names which of the notice's exceptions; only deletions have them."""
    now = now or timezone.now()
    if reason not in DenialReason.values:
        raise ActionRefused("Choose the reason for the denial.")
    if not explanation.strip():
        raise ActionRefused("Write the explanation the consumer will read.")
    if reason == DenialReason.EXCEPTION:
        if exception not in DeletionException.values:
            raise ActionRefused("Name the exception of the privacy notice that applies.")
        if privacy_request.request_type != RequestType.DELETE:
            raise ActionRefused("The notice's exceptions apply to deletions only.")
    else:
        exception = ""
    with transaction.atomic():
        locked = _locked(privacy_request)
        require_status(locked, *OPEN_STATUSES, action="deny it")
        _deny(
            locked,
            reason=reason,
            explanation=explanation.strip(),
            exception=exception,
            actor=actor,
            now=now,
        )
    return locked


def request_close(
    *,
    privacy_request: PrivacyRequest,
    actor,
    in_part: bool = False,
    summary: str = "",
    now: datetime | None = None,
):
    """The answer has been delivered: the request is complete, in whole or in part. A request
    answered as categories after asking for specific pieces is complied with in part."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(privacy_request)
        require_status(locked, Status.IN_PROGRESS, action="close it")
        downgraded = locked.requested_type != locked.request_type
        locked.status = Status.FULFILLED
        locked.outcome = Outcome.COMPLIED_PART if in_part or downgraded else Outcome.COMPLIED_WHOLE
        locked.responded_at = now
        locked.closed_at = now
        locked.save(update_fields=["status", "outcome", "responded_at", "closed_at", "updated_at"])
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.ANSWERED,
            actor=actor,
            actor_label="staff",
            detail=summary.strip()[:NOTE_MAX_LENGTH],
            at=now,
        )
        notify(
            privacy_request=locked,
            template="answered",
            kind="request.answered",
            context={"summary": summary.strip()},
            once_key="answered",
        )
    return locked


def request_assign(*, privacy_request: PrivacyRequest, actor, assignee, now=None):
    """Give the request to an officer (None: to nobody in particular)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(privacy_request)
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to", "updated_at"])
        name = assignee.get_username() if assignee else "nobody"
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.ASSIGNED,
            actor=actor,
            actor_label="staff",
            detail=f"Assigned to {name}",
            visible_to_consumer=False,
            at=now,
        )
    return locked


def request_note_add(*, privacy_request: PrivacyRequest, actor, text: str, now=None):
    text = text.strip()
    if not text:
        raise ActionRefused("Write the note first.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ActionRefused(f"Keep a note under {NOTE_MAX_LENGTH} characters.")
    return event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.NOTE,
        actor=actor,
        actor_label="staff",
        detail=text,
        visible_to_consumer=False,
        at=now or timezone.now(),
    )


def request_reveal(*, privacy_request: PrivacyRequest, actor, now=None):
    """Staff looked at the consumer's unmasked details: logged, staff-only."""
    return event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.REVEALED,
        actor=actor,
        actor_label="staff",
        visible_to_consumer=False,
        at=now or timezone.now(),
    )


def request_download_record(*, privacy_request: PrivacyRequest, actor, what: str, now=None):
    return event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.DOWNLOADED,
        actor=actor,
        actor_label="staff",
        detail=what,
        visible_to_consumer=False,
        at=now or timezone.now(),
    )


__all__ = [
    "ActionRefused",
    "WrongState",
    "request_approve",
    "request_assign",
    "request_close",
    "request_deny",
    "request_download_record",
    "request_note_add",
    "request_reveal",
    "request_verify_manually",
    "request_work_start",
]
