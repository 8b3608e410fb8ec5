"""What staff do to a request. One function per action. Those that move the status go through
the lifecycle (services/lifecycle.py): one transaction that checks the current state, sets the
new one and appends to the history with actor, time and reason.

Permission checks belong to the caller (staff views check the role's permission); these
functions hold the rules about states.
"""

from collections.abc import Callable, Sized
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    DeletionException,
    DenialReason,
    Outcome,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    VerificationMethod,
    VerificationTier,
)
from . import lifecycle
from .denial import request_deny_with_reason
from .history import event_record
from .lifecycle import WrongState
from .verification import (
    VerificationOutcome,
    request_downgrade_to_categories,
    request_verified_mark,
)

NOTE_MAX_LENGTH = 4000


class ActionRefused(Exception):
    """The action does not fit the request's state, or its input is incomplete."""


def _locked(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)


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
        locked = lifecycle.transition_lock(privacy_request, lifecycle.VERIFY_BY_STAFF)
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
            request_downgrade_to_categories(privacy_request=locked, now=now)
        return request_verified_mark(
            privacy_request=locked,
            method=VerificationMethod.STAFF,
            tier=tier,
            actor=actor,
            now=now,
        )


def request_approve(*, privacy_request: PrivacyRequest, actor, now: datetime | None = None):
    """The officer confirms the verified request will be carried out."""
    now = now or timezone.now()
    return lifecycle.transition_perform(privacy_request, lifecycle.APPROVE, actor=actor, at=now)


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
        locked = lifecycle.transition_lock(privacy_request, lifecycle.START_WORK)
        work = plan(locked)
        return lifecycle.transition_perform(
            locked,
            lifecycle.START_WORK,
            actor=actor,
            detail=f"{len(work)} data system task(s)",
            at=now,
        )


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
    return request_deny_with_reason(
        privacy_request=privacy_request,
        transition=lifecycle.DENY,
        reason=reason,
        explanation=explanation.strip(),
        exception=exception,
        actor=actor,
        now=now,
    )


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
        locked = lifecycle.transition_lock(privacy_request, lifecycle.CLOSE)
        downgraded = locked.requested_type != locked.request_type
        return lifecycle.transition_perform(
            locked,
            lifecycle.CLOSE,
            writes={
                "outcome": Outcome.COMPLIED_PART
                if in_part or downgraded
                else Outcome.COMPLIED_WHOLE,
                "responded_at": now,
                "closed_at": now,
            },
            actor=actor,
            detail=summary.strip()[:NOTE_MAX_LENGTH],
            message_context={"summary": summary.strip()},
            at=now,
        )


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
