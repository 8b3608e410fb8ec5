from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import legal_clock
from core.masking import mask_email
from requests_app.models import Channel, RequestType, Status

from ..access import staff_view
from ..selectors import QueueFilters, staff_queue

PAGE_SIZE = 25
# Short labels for the queue's columns (the consumer-facing ones are sentences).
TYPE_LABELS: dict[str, str] = {
    RequestType.KNOW_CATEGORIES: "Know: categories",
    RequestType.KNOW_SPECIFIC: "Know: specific pieces",
    RequestType.DELETE: "Delete",
}
STATUS_LABELS: dict[str, str] = {
    Status.EMAIL_UNCONFIRMED: "Email not confirmed",
    Status.VERIFYING: "Verifying identity",
    Status.AWAITING_CONSUMER: "Waiting for consumer to confirm agent",
    Status.AWAITING_DELETE_CONFIRMATION: "Waiting for deletion confirmation",
    Status.VERIFIED: "Verified",
    Status.APPROVED: "Approved",
    Status.IN_PROGRESS: "In progress",
    Status.FULFILLED: "Answered",
    Status.DENIED: "Denied",
    Status.WITHDRAWN: "Withdrawn",
    Status.CLOSED_UNCONFIRMED: "Closed: email never confirmed",
}


def _filters_from(query) -> QueueFilters:
    return QueueFilters(
        status=query.get("status", "")
        if query.get("status", "") in [*Status.values, "all"]
        else "",
        request_type=query.get("type", "") if query.get("type", "") in RequestType.values else "",
        channel=query.get("channel", "") if query.get("channel", "") in Channel.values else "",
        overdue=query.get("overdue") == "1",
        due_this_week=query.get("week") == "1",
        mine=query.get("mine") == "1",
        search=query.get("q", "").replace("\x00", "")[:100],
    )


def urgency(days_left: int) -> str:
    """The queue's colour bands: overdue in red, 5 and 10 days left marked."""
    if days_left < 0:
        return "overdue"
    if days_left <= 5:
        return "due-5"
    if days_left <= 10:
        return "due-10"
    return ""


@require_GET
@staff_view("work_queue")
def queue(request):
    now = timezone.now()
    filters = _filters_from(request.GET)
    page = Paginator(staff_queue(user=request.user, filters=filters, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = legal_clock.local_date(now)
    rows = []
    for item in page:
        due_on = legal_clock.local_date(item.current_due_at)
        left = (due_on - today).days
        rows.append(
            {
                "request": item,
                "due_on": due_on,
                "days_left": left,
                "days_over": -left,
                "urgency": urgency(left) if item.is_open else "",
                "email": mask_email(item.requester_email),
                "type_label": TYPE_LABELS.get(item.request_type, item.request_type),
                "status_label": STATUS_LABELS.get(item.status, item.status),
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/queue.html",
        {
            "rows": rows,
            "page": page,
            "filters": filters,
            "statuses": list(STATUS_LABELS.items()),
            "types": RequestType.choices,
            "channels": Channel.choices,
            "query": query.urlencode(),
        },
    )
