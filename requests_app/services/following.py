"""Following a request: the one-time status link, and withdrawing."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from registry.normalize import normalize_email

from .. import ratelimit
from ..models import EmailChallenge, PrivacyRequest
from . import lifecycle
from .codes import challenge_issue, link_spend, make_link_token
from .notify import notify, site_url


def status_link_send(*, reference: str, email: str, now: datetime | None = None) -> None:
    """Email a one-time link to the request's status page if the reference and address belong
    together. Says nothing either way: the caller shows the same answer whatever happens, so
    nobody can learn whether a request or a person exists."""
    now = now or timezone.now()
    email = normalize_email(email)
    key = ratelimit.attempt_key("status", email)
    if ratelimit.locked_until(ratelimit.STATUS_LOOKUPS, key, now=now):
        return
    ratelimit.record_attempt(ratelimit.STATUS_LOOKUPS, key, now=now)
    privacy_request = PrivacyRequest.objects.filter(
        reference=reference.strip().upper(), requester_email=email
    ).first()
    if privacy_request is None:
        return
    with transaction.atomic():
        challenge, secret = challenge_issue(
            privacy_request=privacy_request,
            purpose=EmailChallenge.Purpose.STATUS_ACCESS,
            now=now,
            lifetime=timedelta(minutes=settings.STATUS_LINK_LIFETIME_MINUTES),
            link=True,
        )
        link = site_url(reverse("requests:status_open", args=[make_link_token(challenge, secret)]))
        notify(
            privacy_request=privacy_request,
            template="status_link",
            kind="request.status_link",
            context={"link": link, "minutes": settings.STATUS_LINK_LIFETIME_MINUTES},
        )


def status_link_open(
    *, challenge_id: int, secret: str, now: datetime | None = None
) -> PrivacyRequest:
    """Spend a status link; returns the request it opens. Raises ChallengeError."""
    now = now or timezone.now()
    with transaction.atomic():
        challenge = link_spend(
            challenge_id=challenge_id,
            purpose=EmailChallenge.Purpose.STATUS_ACCESS,
            secret=secret,
            now=now,
        )
        return challenge.request


def request_withdraw(
    *, privacy_request: PrivacyRequest, actor=None, now: datetime | None = None
) -> PrivacyRequest:
    """The requester withdraws a request that has not been answered. The caller checks that
    the person is the requester."""
    now = now or timezone.now()
    return lifecycle.transition_perform(
        privacy_request, lifecycle.WITHDRAW, writes={"withdrawn_at": now}, actor=actor, at=now
    )
