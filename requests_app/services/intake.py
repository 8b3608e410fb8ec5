"""Requests customer care logs for consumers who call, write or email (issue: staff workspace,
item 5). The notice (section IX) lets consumers ask by phone, mail or email; a representative
types the request in, asks the verification questions on the call, and the request then follows
the same workflow as one made on the website.

The rules that differ from the website, and why:

- The email address a caller gives is not proven (no code is sent, the caller may have none),
  so for a logged request it is never a data point: it only helps find the consumer's record.
  When there is no email address, or it finds no one, the phone number the caller gives is used
  to find the record instead, and then it does not count as a data point either: the key that
  found a record never also proves the person is that record.
- Two matching data points verify a request to know the categories or to delete (two-tier, the
  cap of requests to know applies as on the website). A request for specific pieces also needs a
  declaration signed under penalty of perjury (11 CCR 7062), which cannot be given on a call: it
  waits, verifying, for the declaration to follow; the officer then decides.
- Agents and parents: the consumer's signed written permission, or the parent's signed
  declaration, must follow by mail or email. The request waits, verifying, with a staff-only
  note, and the officer verifies it once the document is in (the subject's points are checked on
  the call so the officer knows whether they matched).
- Nothing the caller answered is kept: only matched / not matched per data point
  (VerificationCheck, 11 CCR 7060), and staff-only history rows with the counts.
- Rate limits for anonymous web submissions do not apply: a representative is doing the typing.
  The lock-out after repeated failed identity checks does: a call must not be a way around it.
- A mail or email request is received on the date it arrived, at most 7 days back (older ones
  are for a privacy officer to log with the reason); its deadlines run from that date.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from core import legal_clock
from registry.models import Consumer
from registry.normalize import normalize_email

from .. import ratelimit
from ..matching import MatchResult, find_consumer, match_data_points
from ..models import (
    Channel,
    DataPoint,
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    RequestType,
    VerificationMethod,
    VerificationTier,
)
from . import lifecycle
from .history import event_record
from .verification import TWO_TIER, request_verified_mark, verification_checks_record

# Letters and emails are logged the day they arrive; one that waited longer than this in a
# mailbox is for a privacy officer to log, with the reason, not for the intake form.
MAX_DAYS_BACK = 7
# A letter or email logged on a later day counts as received at the start of business hours of
# the day it arrived (its deadlines depend only on that date; the hour only orders the queue).
RECEIVED_AT_LOCAL_TIME = time(9, 0)
STAFF_CHANNELS = (Channel.PHONE, Channel.MAIL, Channel.EMAIL)
# The points a representative may ask about. The email address is not one (see above).
ASKED_POINTS = (DataPoint.ADDRESS, DataPoint.ZIP_CODE, DataPoint.RECENT_PURCHASE, DataPoint.PHONE)


class IntakeRefused(Exception):
    """The request cannot be logged as given. `field` names the form field it concerns."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def received_on_problem(*, channel: str, received_on: date | None, today: date) -> str | None:
    """What is wrong with the date a request arrived, in the representative's words, or None.
    A phone request is received now; a letter or email on a date up to 7 days back."""
    if channel == Channel.PHONE:
        if received_on not in (None, today):
            return "A phone request is received today, during the call."
        return None
    if received_on is None:
        return "Enter the date the letter or email arrived."
    if received_on > today:
        return f"The date received cannot be in the future: today is {today:%-d %B %Y}."
    earliest = today - timedelta(days=MAX_DAYS_BACK)
    if received_on < earliest:
        return (
            f"The date received can be at most {MAX_DAYS_BACK} days back, on or after "
            f"{earliest:%-d %B %Y}. Ask a privacy officer to log an older letter or email."
        )
    return None


def received_at_for(*, channel: str, received_on: date | None, now: datetime) -> datetime:
    """When the request counts as received: now for a call or anything that arrived today;
    9:00 in the business's time zone on the day a letter or email arrived otherwise."""
    today = legal_clock.local_date(now)
    problem = received_on_problem(channel=channel, received_on=received_on, today=today)
    if problem:
        raise IntakeRefused(problem, field="received_on")
    if received_on is None or received_on == today:
        return now
    return datetime.combine(
        received_on, RECEIVED_AT_LOCAL_TIME, tzinfo=legal_clock.business_zone()
    ).astimezone(UTC)


def request_log(
    *,
    channel: str,
    received_on: date | None,
    request_type: str,
    requester_kind: str,
    caller_name: str,
    caller_email: str,
    answers: dict[str, str],
    actor,
    subject_name: str = "",
    subject_email: str = "",
    caller_confirmed_adult: bool = False,
    now: datetime | None = None,
) -> PrivacyRequest:
    """Log a request received by phone, mail or email, check the caller's answers against the
    registry, and acknowledge it by email when there is an address (with no email code).

    `answers` maps data points (address, zip code, recent purchase, phone) to what the caller
    said; only whether each matched is kept. `actor` is the representative: the request is
    logged by them and every history row they cause names them. With no email address the
    acknowledgment is left pending (acknowledged_at empty) for staff to send by mail.

    The caller (the view) checks that `actor` may log requests (the `log_request` permission)
    and that a caller on the phone confirmed being 18 or over (the notice, section IV).
    """
    now = now or timezone.now()
    _check_choices(channel=channel, request_type=request_type, requester_kind=requester_kind)
    received_at = received_at_for(channel=channel, received_on=received_on, now=now)
    caller_name, subject_name = caller_name.strip(), subject_name.strip()
    email = normalize_email(caller_email) if caller_email.strip() else ""
    subject_email = normalize_email(subject_email) if subject_email.strip() else ""
    _check_people(
        channel=channel,
        requester_kind=requester_kind,
        caller_name=caller_name,
        email=email,
        subject_name=subject_name,
    )
    on_behalf = requester_kind != RequesterKind.SELF
    typed: dict[str, str] = {p: (answers.get(p) or "").strip() for p in ASKED_POINTS}

    # Reads first, outside the transaction, as the website's verification does.
    consumer, found_by = find_consumer(email=subject_email if on_behalf else email, answers=typed)
    if found_by and found_by != DataPoint.EMAIL:
        typed[found_by] = ""  # it found the record; it cannot also count as a match
    lock_key = _lock_key(subject_email if on_behalf else email, consumer)
    locked_until = (
        ratelimit.locked_until(ratelimit.FAILED_VERIFICATIONS, lock_key, now=now)
        if lock_key
        else None
    )
    result = (
        None
        if locked_until
        else match_data_points(consumer, answers=typed, proven_email=None)  # never a point
    )

    with transaction.atomic():
        privacy_request = _create(
            channel=channel,
            request_type=request_type,
            requester_kind=requester_kind,
            caller_name=caller_name,
            email=email,
            subject_name=subject_name,
            subject_email=subject_email,
            received_at=received_at,
            actor=actor,
            caller_confirmed_adult=caller_confirmed_adult,
            now=now,
        )
        if not email:
            _acknowledgment_pending(privacy_request, actor=actor, now=now)
        if result is None:
            assert locked_until is not None
            _staff_note(
                privacy_request,
                actor=actor,
                now=now,
                detail=(
                    "Identity not checked on the call: checks for this consumer are paused "
                    "after repeated failed attempts, until "
                    f"{timezone.localtime(locked_until):%-I:%M %p on %-d %B %Y}. "
                    "A privacy officer follows up."
                ),
            )
        else:
            _verify(
                privacy_request,
                result=result,
                consumer=consumer,
                found_by=found_by,
                lock_key=lock_key,
                actor=actor,
                now=now,
            )
    privacy_request.refresh_from_db()
    return privacy_request


# --- Checks of the input -----------------------------------------------------------------------


def _check_choices(*, channel: str, request_type: str, requester_kind: str) -> None:
    if channel not in STAFF_CHANNELS:
        raise IntakeRefused("Choose how the request arrived: phone, mail or email.")
    if request_type not in RequestType.values:
        raise IntakeRefused("Choose which right the consumer wants to use.", field="request_type")
    if requester_kind not in RequesterKind.values:
        raise IntakeRefused("Choose who the request is for.", field="requester_kind")


def _check_people(
    *, channel: str, requester_kind: str, caller_name: str, email: str, subject_name: str
) -> None:
    if not caller_name:
        raise IntakeRefused("Enter the name of the person asking.", field="caller_name")
    if channel == Channel.EMAIL and not email:
        raise IntakeRefused("Enter the email address the request came from.", field="caller_email")
    if requester_kind != RequesterKind.SELF and not subject_name:
        raise IntakeRefused(
            "Enter the name of the person the request is for.", field="subject_name"
        )


# --- Finding the consumer ----------------------------------------------------------------------


def _lock_key(email: str, consumer: Consumer | None) -> str:
    """The website's lock-out key for this consumer (its "verify" key is the subject's email)."""
    subject = email or (consumer.email if consumer is not None else "")
    return ratelimit.attempt_key("verify", subject) if subject else ""


# --- Writing it down ---------------------------------------------------------------------------


def _create(
    *,
    channel: str,
    request_type: str,
    requester_kind: str,
    caller_name: str,
    email: str,
    subject_name: str,
    subject_email: str,
    received_at: datetime,
    actor,
    caller_confirmed_adult: bool,
    now: datetime,
) -> PrivacyRequest:
    # Verifying, never "email unconfirmed": the address is not proven by a code for a logged
    # request, and the sweep closes unconfirmed requests after 7 days. The receipt goes by email
    # when there is an address, with no code (see the module's docstring); else by post.
    new = PrivacyRequest(
        received_at=received_at,
        request_type=request_type,
        requester_kind=requester_kind,
        channel=channel,
        requester_name=caller_name,
        requester_email=email,
        subject_name=subject_name,
        subject_email=subject_email,
        logged_by=actor,
        acknowledged_at=now if email else None,
    )
    detail = (
        f"{new.get_request_type_display()} ({new.get_channel_display()}), "
        f"logged by {actor.get_username()}"
    )
    if channel == Channel.PHONE and caller_confirmed_adult:
        detail += "; the caller confirmed being 18 or over"
    return lifecycle.transition_perform(
        new,
        lifecycle.LOG if email else lifecycle.LOG_WITHOUT_EMAIL,
        actor=actor,
        detail=detail,
        at=now,
    )


def _acknowledgment_pending(privacy_request: PrivacyRequest, *, actor, now: datetime) -> None:
    """With no email address the receipt goes by post: staff see it pending in the history."""
    _staff_note(
        privacy_request,
        actor=actor,
        now=now,
        detail=(
            "Acknowledgment pending: no email address was given, so the reference was only "
            "read out. Send the acknowledgment by mail by "
            f"{legal_clock.local_date(privacy_request.acknowledge_by):%-d %B %Y}."
        ),
    )


def _staff_note(privacy_request: PrivacyRequest, *, actor, now: datetime, detail: str) -> None:
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.NOTE,
        actor=actor,
        actor_label="staff",
        detail=detail,
        visible_to_consumer=False,
        at=now,
    )


# --- Verification on the call ------------------------------------------------------------------


def _verify(
    privacy_request: PrivacyRequest,
    *,
    result: MatchResult,
    consumer: Consumer | None,
    found_by: str,
    lock_key: str,
    actor,
    now: datetime,
) -> None:
    verification_checks_record(privacy_request, result, now=now)
    summary = _summary(result, found_by=found_by)
    enough = result.count >= TWO_TIER
    if not enough:
        if lock_key:
            ratelimit.record_attempt(ratelimit.FAILED_VERIFICATIONS, lock_key, now=now)
        event_record(
            privacy_request=privacy_request,
            kind=RequestEvent.Kind.VERIFICATION_FAILED,
            actor=actor,
            actor_label="staff",
            detail=f"{summary} Not enough to verify (two must match): a privacy officer reviews "
            "the request.",
            visible_to_consumer=False,
            at=now,
        )
    if enough:
        privacy_request.consumer = consumer
        privacy_request.save(update_fields=["consumer", "updated_at"])

    if privacy_request.requester_kind != RequesterKind.SELF:
        document = (
            "the consumer's signed written permission for the agent"
            if privacy_request.requester_kind == RequesterKind.AGENT
            else "the parent's or guardian's signed declaration for the child under 16"
        )
        _staff_note(
            privacy_request,
            actor=actor,
            now=now,
            detail=(
                f"{summary + ' ' if enough else ''}Waiting for {document}, by mail or email. "
                "Verify the request once it has arrived."
            ),
        )
        return
    if not enough:
        return
    if privacy_request.request_type == RequestType.KNOW_SPECIFIC:
        _staff_note(
            privacy_request,
            actor=actor,
            now=now,
            detail=(
                f"{summary} Specific pieces also need three matching data points and a "
                "declaration signed under penalty of perjury, which cannot be given on a call: "
                "waiting for it by mail or email. Without it, answer with the categories."
            ),
        )
        return
    _staff_note(privacy_request, actor=actor, now=now, detail=summary)
    request_verified_mark(
        privacy_request=privacy_request,
        method=VerificationMethod.DATA_POINTS,
        tier=VerificationTier.TWO,
        actor=actor,
        actor_label="staff",
        now=now,
    )


def _summary(result: MatchResult, *, found_by: str) -> str:
    """Counts for the officer, and which points matched: never what was said."""
    asked = len(result.matched)
    parts = ", ".join(
        f"{DataPoint(point).label.lower()} {'matched' if ok else 'did not match'}"
        for point, ok in result.matched.items()
    )
    text = f"{result.count} of {asked} data point(s) matched on intake"
    text += f" ({parts})." if parts else "."
    if found_by and found_by != DataPoint.EMAIL:
        label = DataPoint(found_by).label.lower()
        text += f" The record was found by the {label}, which therefore did not count."
    return text
