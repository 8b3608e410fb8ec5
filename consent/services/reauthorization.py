"""Re-authorization: once, no sooner than 12 months after an opt-out, the consumer is asked
whether they will authorize sale again (Civ. Code 1798.135(c)(4)), with a signed link."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from core.mail import email_queue

from ..models import ConsentEvent, ConsentSource, SaleStatus
from ..selectors import born_after_is_younger_than, business_today
from ._shared import SWEEP_BATCH, LinkInvalid, consent_event, consumer_lock, site_url
from .minors import opt_in_age_check
from .opt_in import opt_in_record

logger = logging.getLogger(__name__)

REAUTHORIZATION_SALT = "consent.reauthorization"


def reauthorization_token(status: SaleStatus) -> str:
    """A signed token naming the consumer's status and the opt-out it asks about."""
    return signing.dumps({"s": status.pk, "e": status.episode}, salt=REAUTHORIZATION_SALT)


def reauthorization_status_for(token: str) -> SaleStatus:
    """The status a re-authorization link asks about, while the question is still open."""
    try:
        data = signing.loads(
            token,
            salt=REAUTHORIZATION_SALT,
            max_age=timedelta(days=settings.REAUTHORIZATION_LINK_DAYS),
        )
        status = SaleStatus.objects.select_related("consumer").get(pk=data["s"])
    except (signing.BadSignature, SaleStatus.DoesNotExist, KeyError, TypeError):
        raise LinkInvalid from None
    if not _question_open(status, episode=data["e"]):
        raise LinkInvalid
    return status


def _question_open(status: SaleStatus, *, episode: int) -> bool:
    return (
        status.state == SaleStatus.State.OPTED_OUT
        and status.episode == episode
        and status.reauthorization_asked_at is not None
        and status.reauthorization_answered_at is None
    )


def reauthorization_answer(*, token: str, allow: bool, despite_gpc: bool = False) -> bool:
    """The consumer's answer to the one re-authorization question. Only an explicit yes
    resumes sale (recorded as an opt-in); a no keeps the opt-out. Either answer closes the
    question: the link works once. Raises LinkInvalid for a bad, expired or used link. Returns
    True when sale was authorized."""
    status = reauthorization_status_for(token)
    episode = status.episode
    now = timezone.now()
    with transaction.atomic():
        locked = consumer_lock(status.consumer)
        status = SaleStatus.objects.get(pk=status.pk)
        if not _question_open(status, episode=episode):
            raise LinkInvalid
        status.reauthorization_answered_at = now
        if not allow:
            status.save(update_fields=["reauthorization_answered_at", "updated_at"])
            consent_event(
                kind=ConsentEvent.Kind.REAUTHORIZATION_DECLINED,
                consumer=locked,
                source=ConsentSource.REAUTHORIZATION,
                at=now,
            )
            return False
        opt_in_age_check(locked, authorized_by=SaleStatus.Authorizer.CONSUMER)
        opt_in_record(
            status,
            consumer=locked,
            authorized_by=SaleStatus.Authorizer.CONSUMER,
            source=ConsentSource.REAUTHORIZATION,
            actor=None,
            despite_gpc=despite_gpc,
            now=now,
        )
    return True


def reauthorization_asks_send(*, now: datetime) -> int:
    """The sweep's step: ask once, no sooner than 12 months after an opt-out, whether the
    consumer will authorize sale again (Civ. Code 1798.135(c)(4)). Never asked twice: the row is
    claimed with a conditional update before the email is queued, and the email has a dedupe
    key. Consumers known to be under 16 are not asked. Returns how many were asked."""
    under_minimum = born_after_is_younger_than(settings.SALE_MINIMUM_AGE, today=business_today(now))
    due = (
        SaleStatus.objects.filter(
            state=SaleStatus.State.OPTED_OUT,
            reauthorization_asked_at__isnull=True,
            reauthorization_ask_from__lte=now,
        )
        .exclude(consumer__email="")
        .exclude(consumer__birth_date__gt=under_minimum)
        .order_by("reauthorization_ask_from")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    asked = 0
    for pk in list(due):
        try:
            asked += _reauthorization_ask(pk, now=now)
        except Exception:
            # One failing consumer must not stop the others; it is retried next sweep.
            logger.exception("Re-authorization ask for sale status %s failed", pk)
    return asked


def _reauthorization_ask(pk: int, *, now: datetime) -> bool:
    with transaction.atomic():
        claimed = SaleStatus.objects.filter(
            pk=pk, state=SaleStatus.State.OPTED_OUT, reauthorization_asked_at__isnull=True
        ).update(reauthorization_asked_at=now)
        if not claimed:
            return False
        status = SaleStatus.objects.select_related("consumer").get(pk=pk)
        consent_event(
            kind=ConsentEvent.Kind.REAUTHORIZATION_ASKED,
            consumer=status.consumer,
            source=ConsentSource.SWEEP,
            at=now,
        )
        assert status.changed_at is not None  # an opt-out always has its date (constraint)
        email_queue(
            to=status.consumer.email,
            template="consent/reauthorization_ask",
            context={
                "opted_out_on": legal_clock.local_date(status.changed_at),
                "answer_url": site_url(
                    reverse("consent:reauthorize", args=[reauthorization_token(status)])
                ),
                "link_days": settings.REAUTHORIZATION_LINK_DAYS,
            },
            kind="consent.reauthorization_ask",
            dedupe_key=f"consent:reauthorization:{status.pk}:{status.episode}",
        )
    return True
