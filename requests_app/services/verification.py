"""Proving identity, and the cap of two requests to know in 12 months.

Verification is keyed to the request type (DESIGN.md, 11 CCR 7060-7062): two matched data
points ("two-tier") for categories and deletion; three plus a declaration signed under penalty
of perjury ("three-tier") for specific pieces; an account password for account holders. Only
the outcome per data point is kept, never what was typed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from registry.models import Consumer
from registry.normalize import normalize_email

from .. import ratelimit
from ..matching import MatchResult, find_consumer, match_data_points
from ..models import (
    DenialReason,
    EmailChallenge,
    Outcome,
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    RequestType,
    Status,
    VerificationCheck,
    VerificationMethod,
    VerificationTier,
)
from .codes import ChallengeError, challenge_issue, challenge_use, link_spend, make_link_token
from .history import event_record
from .notify import notify, site_url

TWO_TIER = 2
THREE_TIER = 3


class VerificationLocked(Exception):
    """Too many failed attempts: no more tries until `until`."""

    def __init__(self, until: datetime):
        self.until = until
        local = timezone.localtime(until)
        super().__init__(
            "For your protection, identity checks for this request are paused after five "
            f"unsuccessful attempts. You can try again after {local:%-I:%M %p} on "
            f"{local:%-d %B %Y}."
        )


class WrongState(Exception):
    """The request is not at the step this action belongs to."""


@dataclass
class VerificationOutcome:
    verified: bool = False
    denied: bool = False
    downgraded: bool = False
    attempts_left: int = 0
    message: str = ""
    matched: dict[str, bool] = field(default_factory=dict)


def _lock_request(privacy_request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)


def _expect(privacy_request: PrivacyRequest, *statuses: str) -> None:
    if privacy_request.status not in statuses:
        status = privacy_request.get_status_display().lower()
        raise WrongState(f"Request {privacy_request.reference} is {status}.")


# --- Step 1: the requester's email address -------------------------------------------------------


def _email_lock_key(privacy_request: PrivacyRequest) -> str:
    return ratelimit.attempt_key("email", privacy_request.requester_email)


def request_confirm_email(
    *, privacy_request: PrivacyRequest, code: str, now: datetime | None = None
) -> PrivacyRequest:
    """Prove the requester's email address with the code we sent. Raises ChallengeError with a
    message for the person, or VerificationLocked after too many wrong codes."""
    now = now or timezone.now()
    key = _email_lock_key(privacy_request)
    until = ratelimit.locked_until(ratelimit.FAILED_CODES, key, now=now)
    if until:
        raise VerificationLocked(until)
    with transaction.atomic():
        locked = _lock_request(privacy_request)
        _expect(locked, Status.EMAIL_UNCONFIRMED)
        challenge = (
            EmailChallenge.objects.select_for_update()
            .filter(request=locked, purpose=EmailChallenge.Purpose.CONFIRM_EMAIL)
            .order_by("-created_at")
            .first()
        )
        if challenge is None:
            raise ChallengeError("Ask for a new code below.")
        problem: ChallengeError | None = None
        try:
            challenge_use(challenge=challenge, secret=code, now=now)
        except ChallengeError as wrong_code:
            problem = wrong_code
        else:
            _email_confirmed(locked, now=now)
    if problem is not None:
        # Recorded after the transaction: raised inside it, the record would roll back too.
        ratelimit.record_attempt(ratelimit.FAILED_CODES, key, now=now)
        raise problem
    return locked


def _email_confirmed(locked: PrivacyRequest, *, now: datetime) -> None:
    locked.email_confirmed_at = now
    locked.status = Status.VERIFYING
    locked.save(update_fields=["email_confirmed_at", "status", "updated_at"])
    event_record(
        privacy_request=locked,
        kind=RequestEvent.Kind.EMAIL_CONFIRMED,
        actor_label=_requester_label(locked),
        at=now,
    )


def _requester_label(privacy_request: PrivacyRequest) -> str:
    return RequesterKind(privacy_request.requester_kind).actor_label


def account_password_check(*, user, password: str, now: datetime | None = None) -> bool:
    """Check an account holder's password before acting on their request. A wrong password
    counts toward the same lock-out as failed data-point checks for that address (so guessing
    is paused after five tries); raises VerificationLocked while paused."""
    now = now or timezone.now()
    key = ratelimit.attempt_key("verify", normalize_email(user.email))
    until = ratelimit.locked_until(ratelimit.FAILED_VERIFICATIONS, key, now=now)
    if until:
        raise VerificationLocked(until)
    if user.check_password(password):
        return True
    ratelimit.record_attempt(ratelimit.FAILED_VERIFICATIONS, key, now=now)
    return False


# --- Step 2a: account holders --------------------------------------------------------------------


def request_verify_account(
    *, privacy_request: PrivacyRequest, user, password: str, now: datetime | None = None
) -> VerificationOutcome:
    """Verify an account holder by their password (the notice: password-protected accounts).

    The caller has checked that `user` submitted this request. A wrong password is refused
    with a message and counts toward the lock-out like any failed verification.
    """
    now = now or timezone.now()
    consumer = getattr(user, "consumer", None)
    if not account_password_check(user=user, password=password, now=now):
        return VerificationOutcome(message="That password is not right. Please try again.")
    with transaction.atomic():
        locked = _lock_request(privacy_request)
        _expect(locked, Status.VERIFYING)
        locked.consumer = consumer
        locked.save(update_fields=["consumer", "updated_at"])
        return _mark_verified(
            locked,
            method=VerificationMethod.PASSWORD,
            tier=VerificationTier.ACCOUNT,
            actor=user,
            now=now,
        )


# --- Step 2b: everyone else, by data points ------------------------------------------------------


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
        locked = _lock_request(privacy_request)
        _expect(locked, Status.VERIFYING)
        _record_checks(locked, result, now=now)
        tier = _tier_reached(locked, result, declaration_name=declaration_name)
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
            _downgrade_to_categories(locked, now=now)
        if locked.requester_kind == RequesterKind.AGENT:
            return _ask_consumer_to_confirm_agent(locked, result, tier=tier, now=now)
        outcome = _mark_verified(
            locked, method=VerificationMethod.DATA_POINTS, tier=tier, actor=None, now=now
        )
        outcome.downgraded = locked.requested_type != locked.request_type
        outcome.matched = result.matched
        return outcome


def _subject_email(privacy_request: PrivacyRequest) -> str:
    if privacy_request.requester_kind == RequesterKind.SELF:
        return privacy_request.requester_email
    return privacy_request.subject_email


def _record_checks(privacy_request: PrivacyRequest, result: MatchResult, *, now: datetime) -> None:
    for data_point, matched in result.matched.items():
        VerificationCheck.objects.update_or_create(
            request=privacy_request,
            data_point=data_point,
            defaults={"matched": matched, "checked_at": now},
        )


def _tier_reached(
    privacy_request: PrivacyRequest, result: MatchResult, *, declaration_name: str
) -> str | None:
    """The highest tier the matched points reach for this request type, or None."""
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
        actor_label=_requester_label(privacy_request),
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
    _deny(
        privacy_request,
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


def _downgrade_to_categories(privacy_request: PrivacyRequest, *, now: datetime) -> None:
    """Specific pieces need three-tier verification; two-tier earns the categories answer
    (11 CCR 7062(e), DESIGN.md "Unverifiable requests")."""
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


# --- The cap and the verified state --------------------------------------------------------------


def know_cap_next_free_date(consumer: Consumer, *, today: date) -> date | None:
    """None if the consumer may make a request to know today; else the first day they may.

    Counts the consumer's verified requests to know whose verification date falls within the
    12 months before today (the notice: "up to two times within a 12-month period").
    """
    window_start = legal_clock.add_months(today, -12)
    verified_dates = sorted(
        legal_clock.local_date(at)
        for at in PrivacyRequest.objects.filter(
            consumer=consumer,
            counts_toward_cap=True,
            verified_at__gte=legal_clock.end_of_day(window_start),
        ).values_list("verified_at", flat=True)
        if at is not None
    )
    counted = [d for d in verified_dates if d > window_start]
    if len(counted) < settings.KNOW_REQUESTS_PER_YEAR:
        return None
    return legal_clock.add_months(counted[-settings.KNOW_REQUESTS_PER_YEAR], 12)


def _mark_verified(
    privacy_request: PrivacyRequest,
    *,
    method: str,
    tier: str,
    actor,
    now: datetime,
    actor_label: str | None = None,
) -> VerificationOutcome:
    """Verified, unless this request to know is over the cap. Deletions are never refused for
    count. Runs with the consumer's row locked so that simultaneous verifications are counted
    one after the other (select_for_update; on SQLite the write lock does the same)."""
    if privacy_request.is_know and privacy_request.consumer_id:
        consumer = Consumer.objects.select_for_update().get(pk=privacy_request.consumer_id)
        next_free = know_cap_next_free_date(consumer, today=legal_clock.local_date(now))
        if next_free is not None:
            explanation = (
                "You have already made two requests to know in the last 12 months, the most "
                f"our privacy notice provides for. You can make your next request to know on "
                f"{next_free:%-d %B %Y}."
            )
            _deny(privacy_request, reason=DenialReason.OVER_CAP, explanation=explanation, now=now)
            return VerificationOutcome(denied=True, message=explanation)
        privacy_request.counts_toward_cap = True
    privacy_request.verified_at = now
    privacy_request.verification_method = method
    privacy_request.verification_tier = tier
    privacy_request.status = (
        Status.AWAITING_DELETE_CONFIRMATION
        if privacy_request.request_type == RequestType.DELETE
        and privacy_request.delete_confirmed_at is None
        else Status.VERIFIED
    )
    privacy_request.save(
        update_fields=[
            "verified_at",
            "verification_method",
            "verification_tier",
            "status",
            "counts_toward_cap",
            "updated_at",
        ]
    )
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.VERIFIED,
        actor=actor,
        actor_label=actor_label or ("staff" if method == VerificationMethod.STAFF else "system"),
        detail=privacy_request.get_verification_tier_display(),
        at=now,
    )
    if privacy_request.status == Status.VERIFIED:
        notify(
            privacy_request=privacy_request,
            template="verified",
            kind="request.verified",
            once_key="verified",
        )
    return VerificationOutcome(verified=True)


def _deny(
    privacy_request: PrivacyRequest,
    *,
    reason: str,
    explanation: str,
    now: datetime,
    actor=None,
    exception: str = "",
) -> None:
    """Close the request as denied with its reason, and tell the requester. Shared by the
    automatic denials here and the officer's (requests_app.services.staff_actions)."""
    privacy_request.status = Status.DENIED
    privacy_request.outcome = Outcome.DENIED
    privacy_request.denial_reason = reason
    privacy_request.denial_exception = exception
    privacy_request.denial_explanation = explanation
    privacy_request.responded_at = now
    privacy_request.save(
        update_fields=[
            "status",
            "outcome",
            "denial_reason",
            "denial_exception",
            "denial_explanation",
            "responded_at",
            "updated_at",
        ]
    )
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.DENIED,
        actor=actor,
        actor_label="staff" if actor is not None else "system",
        detail=explanation,
        at=now,
    )
    notify(
        privacy_request=privacy_request,
        template="denied",
        kind="request.denied",
        context={
            "explanation": explanation,
            "offer_opt_out": privacy_request.request_type == RequestType.DELETE,
        },
        once_key="answered",
    )


# --- Deletion: the consumer's second, separate confirmation --------------------------------------


def request_confirm_delete(
    *, privacy_request: PrivacyRequest, user=None, password: str = "", now: datetime | None = None
) -> VerificationOutcome:
    """The final, separate confirmation of a deletion. Account holders give their password
    again right before it (re-authentication). The caller checks the person may act on it."""
    now = now or timezone.now()
    if privacy_request.requester_user_id:
        if user is None or user.pk != privacy_request.requester_user_id:
            raise WrongState("Sign in to the account that made this request.")
        if not account_password_check(user=user, password=password, now=now):
            return VerificationOutcome(message="That password is not right. Please try again.")
    with transaction.atomic():
        locked = _lock_request(privacy_request)
        _expect(locked, Status.AWAITING_DELETE_CONFIRMATION)
        locked.delete_confirmed_at = now
        locked.status = Status.VERIFIED
        locked.save(update_fields=["delete_confirmed_at", "status", "updated_at"])
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.DELETE_CONFIRMED,
            actor=user,
            actor_label="consumer",
            at=now,
        )
        notify(
            privacy_request=locked,
            template="verified",
            kind="request.verified",
            once_key="verified",
        )
    return VerificationOutcome(verified=True)


# --- Agents: the consumer confirms them ----------------------------------------------------------


def _ask_consumer_to_confirm_agent(
    privacy_request: PrivacyRequest, result: MatchResult, *, tier: str, now: datetime
) -> VerificationOutcome:
    """The agent's details matched; the consumer must now confirm, by email to the address we
    hold for them (never one the agent typed), that they authorized the agent."""
    consumer = privacy_request.consumer
    assert consumer is not None
    privacy_request.status = Status.AWAITING_CONSUMER
    privacy_request.verification_tier = tier
    privacy_request.save(update_fields=["status", "verification_tier", "updated_at"])
    challenge, secret = challenge_issue(
        privacy_request=privacy_request,
        purpose=EmailChallenge.Purpose.CONSUMER_CONFIRMS_AGENT,
        now=now,
        lifetime=timedelta(days=settings.AGENT_CONFIRMATION_LIFETIME_DAYS),
        link=True,
    )
    link = site_url(reverse("requests:agent_confirm", args=[make_link_token(challenge, secret)]))
    notify(
        privacy_request=privacy_request,
        template="agent_confirm",
        kind="request.agent_confirm",
        to=consumer.email,
        context={
            "link": link,
            "agent_name": privacy_request.requester_name,
            "days": settings.AGENT_CONFIRMATION_LIFETIME_DAYS,
        },
        once_key="agent-confirm",
    )
    return VerificationOutcome(verified=False, matched=result.matched)


def request_consumer_confirms_agent(
    *, challenge_id: int, secret: str, now: datetime | None = None
) -> PrivacyRequest:
    """The consumer followed the link and confirmed the agent: the request is verified. For a
    deletion this is also the consumer's own, separate confirmation."""
    now = now or timezone.now()
    with transaction.atomic():
        challenge = link_spend(
            challenge_id=challenge_id,
            purpose=EmailChallenge.Purpose.CONSUMER_CONFIRMS_AGENT,
            secret=secret,
            now=now,
        )
        locked = _lock_request(challenge.request)
        _expect(locked, Status.AWAITING_CONSUMER)
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.CONSUMER_CONFIRMED_AGENT,
            actor_label="consumer",
            at=now,
        )
        if locked.request_type == RequestType.DELETE:
            locked.delete_confirmed_at = now
        _mark_verified(
            locked,
            method=VerificationMethod.DATA_POINTS,
            tier=locked.verification_tier or VerificationTier.TWO,
            actor=None,
            now=now,
        )
    return locked
