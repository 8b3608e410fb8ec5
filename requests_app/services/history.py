from datetime import datetime

from django.utils import timezone

from ..models import PrivacyRequest, RequestEvent


def event_record(
    *,
    privacy_request: PrivacyRequest,
    kind: str,
    actor_label: str,
    actor=None,
    detail: str = "",
    visible_to_consumer: bool = True,
    at: datetime | None = None,
) -> RequestEvent:
    """Append one row to the request's history."""
    return RequestEvent.objects.create(
        request=privacy_request,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label,
        detail=detail,
        visible_to_consumer=visible_to_consumer,
        at=at or timezone.now(),
    )
