"""Who may see and act on a request in the browser: the account that made it, or a browser
session that proved it (by submitting it, or through a one-time status link)."""

import time

from .models import PrivacyRequest, RequestType
from .not_found import RequestNotFound

SESSION_KEY = "privacy_requests"


def grant(http_request, privacy_request: PrivacyRequest) -> None:
    granted = set(http_request.session.get(SESSION_KEY, []))
    granted.add(privacy_request.pk)
    http_request.session[SESSION_KEY] = sorted(granted)


def may_access(http_request, privacy_request: PrivacyRequest) -> bool:
    if privacy_request.pk in http_request.session.get(SESSION_KEY, []):
        return True
    user = http_request.user
    return bool(user.is_authenticated and privacy_request.requester_user_id == user.pk)


def get_request_or_404(http_request, reference: str) -> PrivacyRequest:
    """The request, if this browser may see it; otherwise the same 404 as for no request."""
    privacy_request = PrivacyRequest.objects.filter(reference=reference).first()
    if privacy_request is None or not may_access(http_request, privacy_request):
        raise RequestNotFound("No such request")
    return privacy_request


REAUTH_SESSION_KEY = "answer_reauthenticated"
REAUTH_MINUTES = 15


def reauthenticated(http_request, privacy_request: PrivacyRequest) -> bool:
    """Specific pieces are disclosed to an account holder only right after they give their
    password again (DESIGN.md: re-authentication before specific pieces are disclosed)."""
    if privacy_request.request_type != RequestType.KNOW_SPECIFIC:
        return True
    at = http_request.session.get(REAUTH_SESSION_KEY, {}).get(str(privacy_request.pk))
    return at is not None and time.time() - at < REAUTH_MINUTES * 60


def mark_reauthenticated(http_request, privacy_request: PrivacyRequest) -> None:
    done = dict(http_request.session.get(REAUTH_SESSION_KEY, {}))
    done[str(privacy_request.pk)] = time.time()
    http_request.session[REAUTH_SESSION_KEY] = done
