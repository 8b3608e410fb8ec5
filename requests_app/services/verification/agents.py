"""Agents: once the agent's data points match, the consumer confirms, by a link emailed to the
address we hold for them (never one the agent typed), that they authorized the agent."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ...models import (
    EmailChallenge,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    VerificationMethod,
    VerificationTier,
)
from .. import lifecycle
from ..codes import challenge_issue, link_spend, make_link_token
from ..history import event_record
from ..notify import site_url
from .cap import request_verified_mark


def agent_confirmation_ask(*, privacy_request: PrivacyRequest, tier: str, now: datetime) -> None:
    """The agent's details matched (at `tier`): ask the consumer to confirm the agent. Call
    inside the transaction that found the consumer (data_points.request_verify_data_points)."""
    assert privacy_request.consumer is not None
    challenge, secret = challenge_issue(
        privacy_request=privacy_request,
        purpose=EmailChallenge.Purpose.CONSUMER_CONFIRMS_AGENT,
        now=now,
        lifetime=timedelta(days=settings.AGENT_CONFIRMATION_LIFETIME_DAYS),
        link=True,
    )
    link = site_url(reverse("requests:agent_confirm", args=[make_link_token(challenge, secret)]))
    lifecycle.transition_perform(
        privacy_request,
        lifecycle.ASK_CONSUMER,
        writes={"verification_tier": tier},
        message_context={
            "link": link,
            "agent_name": privacy_request.requester_name,
            "days": settings.AGENT_CONFIRMATION_LIFETIME_DAYS,
        },
        at=now,
    )


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
        locked = lifecycle.transition_lock(challenge.request, lifecycle.CONSUMER_CONFIRMS_AGENT)
        event_record(
            privacy_request=locked,
            kind=RequestEvent.Kind.CONSUMER_CONFIRMED_AGENT,
            actor_label="consumer",
            at=now,
        )
        request_verified_mark(
            privacy_request=locked,
            method=VerificationMethod.DATA_POINTS,
            tier=locked.verification_tier or VerificationTier.TWO,
            actor=None,
            now=now,
            delete_confirmed=locked.request_type == RequestType.DELETE,
        )
    locked.refresh_from_db()
    return locked
