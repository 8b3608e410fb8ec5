"""Global Privacy Control (11 CCR 7025): a request carrying `Sec-GPC: 1` is a request to opt
out of sale and sharing, with no further question.

- For the browser: a cookie (settings.GPC_COOKIE_NAME) marks it opted out, so the shop's pages
  can honour it even on a request that, for some reason, lacks the header.
- For the consumer, when the browser is known as one (signed in, or through a preferences
  link): their sale flag goes off, recorded with source GPC.

It writes to the database only the first time a signal reaches a known consumer in a session:
the session then remembers it, and later requests cost nothing. `request.gpc` tells the
templates to say "Opt-out preference signal honored".
"""

import logging

from django.conf import settings

from registry.models import Consumer

from .access import account_consumer, preferences_session_consumer_id
from .services import sale_opt_out_from_signal

logger = logging.getLogger(__name__)

SESSION_KEY = "consent_gpc_applied"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def gpc_signal(request) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


class GlobalPrivacyControlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.gpc = gpc_signal(request)
        if request.gpc:
            self._honour_for_consumer(request)
        response = self.get_response(request)
        if request.gpc and request.COOKIES.get(settings.GPC_COOKIE_NAME) != "1":
            response.set_cookie(
                settings.GPC_COOKIE_NAME,
                "1",
                max_age=COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _honour_for_consumer(self, request) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            who = f"user:{user.pk}"
        else:
            consumer_id = preferences_session_consumer_id(request)
            if consumer_id is None:
                return
            who = f"consumer:{consumer_id}"
        if request.session.get(SESSION_KEY) == who:
            return  # already honoured in this session: no query at all
        try:
            consumer = (
                account_consumer(request)
                if who.startswith("user:")
                else _consumer_or_none(int(who.split(":")[1]))
            )
            if consumer is not None:
                sale_opt_out_from_signal(consumer=consumer)
            request.session[SESSION_KEY] = who
        except Exception:
            # The page must render whatever happens; the next request tries again.
            logger.exception("Honouring a GPC signal failed")


def _consumer_or_none(pk: int) -> Consumer | None:
    return Consumer.objects.filter(pk=pk).first()
