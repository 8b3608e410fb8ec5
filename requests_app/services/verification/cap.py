"""The cap of two requests to know in 12 months, and the verified state it guards.

`request_verified_mark` is where every path to verified ends: the website's password and data
points, the consumer confirming an agent, care's check on the call and the officer's by hand.
"""

from datetime import date, datetime

from django.conf import settings

from core import legal_clock
from registry.models import Consumer

from ...models import (
    DenialReason,
    PrivacyRequest,
    RequestType,
    Status,
    VerificationMethod,
    VerificationTier,
)
from .. import lifecycle
from ..denial import request_deny_with_reason
from .outcome import VerificationOutcome


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


def request_verified_mark(
    *,
    privacy_request: PrivacyRequest,
    method: str,
    tier: str,
    actor,
    now: datetime,
    actor_label: str = "",
    delete_confirmed: bool = False,
) -> VerificationOutcome:
    """Verified, unless this request to know is over the cap: then denied with the date of the
    next one allowed. Deletions are never refused for count; one not yet confirmed separately
    (`delete_confirmed`: the consumer confirming their agent confirms it too) waits for that.

    Call inside the caller's transaction, with the request as the caller saved it (its
    consumer found). The consumer's row is locked so that simultaneous verifications are
    counted one after the other (select_for_update; on SQLite the write lock does the same).
    """
    counts = False
    if privacy_request.is_know and privacy_request.consumer_id:
        consumer = Consumer.objects.select_for_update().get(pk=privacy_request.consumer_id)
        next_free = know_cap_next_free_date(consumer, today=legal_clock.local_date(now))
        if next_free is not None:
            explanation = (
                "You have already made two requests to know in the last 12 months, the most "
                f"our privacy notice provides for. You can make your next request to know on "
                f"{next_free:%-d %B %Y}."
            )
            request_deny_with_reason(
                privacy_request=privacy_request,
                transition=lifecycle.DENY_OVER_CAP,
                reason=DenialReason.OVER_CAP,
                explanation=explanation,
                now=now,
            )
            return VerificationOutcome(denied=True, message=explanation)
        counts = True
    writes = {
        "verified_at": now,
        "verification_method": method,
        "verification_tier": tier,
        "counts_toward_cap": counts,
    }
    if delete_confirmed:
        writes["delete_confirmed_at"] = now
    lifecycle.transition_perform(
        privacy_request,
        _verified_move(privacy_request, method=method, delete_confirmed=delete_confirmed),
        writes=writes,
        actor=actor,
        actor_label=actor_label,
        detail=VerificationTier(tier).label,
        at=now,
    )
    return VerificationOutcome(verified=True)


def _verified_move(
    privacy_request: PrivacyRequest, *, method: str, delete_confirmed: bool
) -> lifecycle.Transition:
    """Which of the lifecycle's moves to verified this is: by whom, and for a deletion whether
    its separate confirmation is still to come."""
    if privacy_request.status == Status.AWAITING_CONSUMER:
        return lifecycle.CONSUMER_CONFIRMS_AGENT
    awaits_confirmation = (
        privacy_request.request_type == RequestType.DELETE
        and privacy_request.delete_confirmed_at is None
        and not delete_confirmed
    )
    if method == VerificationMethod.STAFF:
        if awaits_confirmation:
            return lifecycle.VERIFY_DELETION_BY_STAFF
        return lifecycle.VERIFY_BY_STAFF
    return lifecycle.VERIFY_DELETION if awaits_confirmation else lifecycle.VERIFY
