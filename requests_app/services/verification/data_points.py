"""Everyone without an account proves who they are by data points matched against the registry.

Two matched points ("two-tier") verify a request for the categories or a deletion; specific
pieces need three and a declaration signed under penalty of perjury ("three-tier"), or are
answered as categories (11 CCR 7060-7062, DESIGN.md). Only the outcome per data point is kept,
never what was typed.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ... import ratelimit
from ...matching import MatchResult, find_consumer, match_data_points
from ...models import (
    DenialReason,
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    RequestType,
    VerificationCheck,
    VerificationMethod,
    VerificationTier,
)
from .. import lifecycle
from ..denial import request_deny_with_reason
from ..history import event_record
from .agents import agent_confirmation_ask
from .cap import request_verified_mark
from .outcome import VerificationLocked, VerificationOutcome

TWO_TIER = 2
THREE_TIER = 3


def request_verify_data_points(
    *,
    privacy_request: PrivacyRequest,
    answers: dict[str, str],
    declaration_name: str = "",
    now: datetime | None = None,
) -> VerificationOutcome:
    """Match the data points given against the registry and act on the result.

    Whose data points: the requester's own for themselves; the consumer's (the child's) when an
    agent (a parent) asks. The proven email address counts as a point only when it is the
    subject's own. After five failed attempts in an hour the checks are paused for an hour, and
    the fifth failure closes the request with the reason.
    """
    now = now or timezone.now()
    subject_email = _subject_email(privacy_request)
    consumer, found_by = find_consumer(email=subject_email, answers=answers)
    # Failures count against the address typed and against the consumer found, so changing
    # the address does not buy five more guesses at someone's details.
    lock_keys = {ratelimit.attempt_key("verify", subject_email)}
    if consumer is not None and consumer.email:
        lock_keys.add(ratelimit.attempt_key("verify", consumer.email))
    for key in sorted(lock_keys):
        until = ratelimit.locked_until(ratelimit.FAILED_VERIFICATIONS, key, now=now)
        if until:
            raise VerificationLocked(until)
    lock_key = ratelimit.attempt_key("verify", subject_email)

    proven = (
        privacy_request.requester_email
        if privacy_request.requester_kind == RequesterKind.SELF
        else None
    )
    result = match_data_points(
        consumer, answers=answers, proven_email=proven, identified_by=found_by
    )
    with transaction.atomic():
        locked = lifecycle.transition_lock(privacy_request, lifecycle.VERIFY)
        verification_checks_record(locked, result, now=now)
        tier = _tier_reached(result, declaration_name=declaration_name)
        if tier is None:
            for other_key in lock_keys - {lock_key}:
                ratelimit.record_attempt(ratelimit.FAILED_VERIFICATIONS, other_key, now=now)
            return _verification_failed(locked, result, lock_key=lock_key, now=now)
        locked.consumer = consumer
        if declaration_name:
            locked.declaration_name = declaration_name.strip()
            locked.declaration_signed_at = now
        locked.save(
            update_fields=["consumer", "declaration_name", "declaration_signed_at", "updated_at"]
        )
        if tier == VerificationTier.TWO and locked.request_type == RequestType.KNOW_SPECIFIC:
            request_downgrade_to_categories(privacy_request=locked, now=now)
        if locked.requester_kind == RequesterKind.AGENT:
            agent_confirmation_ask(privacy_request=locked, tier=tier, now=now)
            return VerificationOutcome(verified=False, matched=result.matched)
        outcome = request_verified_mark(
            privacy_request=locked,
            method=VerificationMethod.DATA_POINTS,
            tier=tier,
            actor=None,
            now=now,
        )
        outcome.downgraded = locked.requested_type != locked.request_type
        outcome.matched = result.matched
        return outcome


def _subject_email(privacy_request: PrivacyRequest) -> str:
    if privacy_request.requester_kind == RequesterKind.SELF:
        return privacy_request.requester_email
    return privacy_request.subject_email


def verification_checks_record(
    privacy_request: PrivacyRequest, result: MatchResult, *, now: datetime
) -> None:
    """Keep whether each data point matched (never what was typed: 11 CCR 7060). The website's
    checks and care's on the call (services/intake.py) both land here."""
    for data_point, matched in result.matched.items():
        VerificationCheck.objects.update_or_create(
            request=privacy_request,
            data_point=data_point,
            defaults={"matched": matched, "checked_at": now},
        )


def _tier_reached(result: MatchResult, *, declaration_name: str) -> str | None:
    """The highest tier the matched points reach, or None."""
    if result.count >= THREE_TIER and declaration_name.strip():
        return VerificationTier.THREE
    if result.count >= TWO_TIER:
        return VerificationTier.TWO
    return None


def _verification_failed(
    privacy_request: PrivacyRequest, result: MatchResult, *, lock_key: str, now: datetime
) -> VerificationOutcome:
    ratelimit.record_attempt(ratelimit.FAILED_VERIFICATIONS, lock_key, now=now)
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.VERIFICATION_FAILED,
        actor_label=RequesterKind(privacy_request.requester_kind).actor_label,
        detail=f"{result.count} data point(s) matched",
        at=now,
    )
    left = ratelimit.attempts_left(ratelimit.FAILED_VERIFICATIONS, lock_key, now=now)
    if left > 0:
        return VerificationOutcome(
            attempts_left=left,
            matched=result.matched,
            message=(
                "The details you gave do not match our records closely enough to confirm who "
                f"you are. Check them and try again ({left} attempt{'s' if left != 1 else ''} "
                "left)."
            ),
        )
    request_deny_with_reason(
        privacy_request=privacy_request,
        transition=lifecycle.DENY_UNVERIFIED,
        reason=DenialReason.NOT_VERIFIED,
        explanation=_unverifiable_explanation(privacy_request),
        now=now,
    )
    return VerificationOutcome(denied=True, matched=result.matched)


def _unverifiable_explanation(privacy_request: PrivacyRequest) -> str:
    if privacy_request.request_type == RequestType.DELETE:
        return (
            "We could not verify your identity, so we cannot delete personal information on "
            "the strength of this request. You can still tell us not to sell or share your "
            "personal information: that needs no proof of identity."
        )
    return (
        "We could not verify your identity, so we cannot disclose personal information in "
        "answer to this request. Our privacy notice describes the categories of personal "
        "information we collect and why."
    )


def request_downgrade_to_categories(*, privacy_request: PrivacyRequest, now: datetime) -> None:
    """Specific pieces need three-tier verification; two-tier earns the categories answer
    (11 CCR 7062(e), DESIGN.md "Unverifiable requests"). Not a move of the status: the request
    stays where it is, answering another type. The officer's verification by hand calls it too
    (staff_actions.request_verify_manually)."""
    privacy_request.request_type = RequestType.KNOW_CATEGORIES
    privacy_request.save(update_fields=["request_type", "updated_at"])
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.DOWNGRADED,
        actor_label="system",
        detail=(
            "We could confirm two of the details needed but not three and a signed "
            "declaration, which the law requires before we disclose specific pieces of "
            "personal information. We will answer with the categories we hold instead."
        ),
        at=now,
    )
