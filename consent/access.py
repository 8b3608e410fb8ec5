"""Who the consumer in front of the browser is, as far as the consent pages are concerned: the
signed-in account's consumer, or the consumer whose emailed preferences link this browser used
(for PREFERENCES_SESSION_MINUTES). Nobody is ever identified by what they typed."""

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from registry.models import Consumer

PREFERENCES_SESSION_KEY = "consent_preferences"


def account_consumer(request: HttpRequest) -> Consumer | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Consumer.objects.filter(user_id=user.pk).first()


def preferences_session_start(request: HttpRequest, consumer: Consumer) -> None:
    # A new session key: a link used in this browser must not elevate a session an attacker
    # planted before (session fixation).
    request.session.cycle_key()
    until = timezone.now() + timedelta(minutes=settings.PREFERENCES_SESSION_MINUTES)
    request.session[PREFERENCES_SESSION_KEY] = {"consumer": consumer.pk, "until": until.isoformat()}


def preferences_session_consumer_id(request: HttpRequest) -> int | None:
    session = getattr(request, "session", None)
    data = session.get(PREFERENCES_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict):
        return None
    try:
        until = datetime.fromisoformat(data["until"])
        consumer_id = int(data["consumer"])
    except (KeyError, TypeError, ValueError):
        return None
    if until <= timezone.now():
        return None
    return consumer_id


def link_consumer(request: HttpRequest) -> Consumer | None:
    consumer_id = preferences_session_consumer_id(request)
    if consumer_id is None:
        return None
    return Consumer.objects.filter(pk=consumer_id).first()


def known_consumer(request: HttpRequest) -> Consumer | None:
    """The consumer this browser is known as: signed in, or through a preferences link."""
    return account_consumer(request) or link_consumer(request)
