from django.db.models import QuerySet

from .models import PrivacyRequest, RequestEvent


def consumer_history(privacy_request: PrivacyRequest) -> QuerySet[RequestEvent]:
    """The events the consumer may see, oldest first."""
    return privacy_request.events.filter(visible_to_consumer=True).order_by("at", "pk")


def requests_of_user(user) -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(requester_user=user).order_by("-received_at")
