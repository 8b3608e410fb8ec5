"""The reads behind the staff pages, with their joins done: a page costs the same number of
queries for 10 requests or 100,000."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from registry.normalize import normalize_email
from requests_app.models import OPEN_STATUSES, PrivacyRequest

from .roles import can


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""  # "" = every open request; "all" = every request
    request_type: str = ""
    channel: str = ""
    overdue: bool = False
    due_this_week: bool = False
    mine: bool = False
    search: str = ""


def staff_queue(*, user, filters: QueueFilters, now: datetime) -> QuerySet[PrivacyRequest]:
    requests = PrivacyRequest.objects.annotate(
        current_due=Coalesce(F("extended_due_at"), F("due_at"))
    ).select_related("assigned_to")
    if not can(user, "see_all_requests"):
        # Customer care sees the requests it logged, nothing else.
        requests = requests.filter(logged_by=user)
    if filters.status == "all":
        pass
    elif filters.status:
        requests = requests.filter(status=filters.status)
    else:
        requests = requests.filter(status__in=OPEN_STATUSES)
    if filters.request_type:
        requests = requests.filter(request_type=filters.request_type)
    if filters.channel:
        requests = requests.filter(channel=filters.channel)
    if filters.overdue:
        requests = requests.filter(current_due__lt=now, status__in=OPEN_STATUSES)
    if filters.due_this_week:
        requests = requests.filter(current_due__gte=now, current_due__lt=now + timedelta(days=7))
    if filters.mine:
        requests = requests.filter(Q(assigned_to=user) | Q(logged_by=user))
    if filters.search:
        term = filters.search.strip()
        requests = requests.filter(
            Q(reference__iexact=term)
            | Q(requester_email=normalize_email(term))
            | Q(subject_email=normalize_email(term))
        )
    return requests.order_by("current_due", "pk")
