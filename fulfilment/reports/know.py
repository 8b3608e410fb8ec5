"""know_report: the parts of the answer to know (records, sale, pieces) put together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from consent.selectors import sale_history
from core import legal_clock
from registry.models import Consumer, Order
from requests_app.models import PrivacyRequest, RequestType

from .pieces import specific_pieces
from .records import categories_held, collected_sections
from .sale import sale_section, sharing_sections, sold_in_period_test
from .shared import iso

REPORT_VERSION = 1


def know_report(*, privacy_request: PrivacyRequest) -> dict[str, Any]:
    """The report answering a verified request to know, as JSON-serializable data (dates as ISO
    8601 strings in the business's time zone). The rules are in fulfilment.reports' docstring.

    The caller has verified the request to the degree its type needs (11 CCR 7062); a request
    answered as categories (its specific pieces could not be verified) gets the categories
    report. Reads only; a fixed number of queries whatever the number of records.
    """
    if privacy_request.request_type not in RequestType.know_types():
        raise ValueError(f"Request {privacy_request.reference} is not a request to know.")
    consumer = privacy_request.consumer
    if consumer is None:
        raise ValueError(f"Request {privacy_request.reference} names no consumer yet.")
    end = privacy_request.received_at
    start = legal_clock.know_report_lookback_start(end)

    held = categories_held(consumer, start=start, end=end)
    history = sale_history(consumer, start=start, end=end)
    sold_in_period = sold_in_period_test(history)
    collected = collected_sections(held.collected, sold_in_period=sold_in_period)
    sharing = sharing_sections(held.held, sold_in_period=sold_in_period)
    orders = _orders_in_period(consumer, start=start, end=end)

    report: dict[str, Any] = {
        "report": {
            "version": REPORT_VERSION,
            "type": privacy_request.request_type,
            "title": RequestType(privacy_request.request_type).label,
            "generated_at": iso(timezone.now()),
        },
        "business": {
            "name": settings.COMPANY_NAME,
            "privacy_email": settings.COMPANY_PRIVACY_EMAIL,
            "phone": settings.COMPANY_PHONE,
            "address": settings.COMPANY_ADDRESS,
        },
        "request": {
            "reference": privacy_request.reference,
            "type": privacy_request.request_type,
            "requested_type": privacy_request.requested_type or privacy_request.request_type,
            "received_at": iso(end),
        },
        "period": {
            "start": iso(start),
            "end": iso(end),
            "months": settings.KNOW_REPORT_LOOKBACK_MONTHS,
        },
        "categories": collected.categories,
        "sources": collected.sources,
        "purposes": collected.purposes,
        "third_parties": sharing.third_parties,
        "disclosure": {
            "disclosed": bool(sharing.disclosed_categories),
            "categories": sharing.disclosed_categories,
        },
        "sale": sale_section(sharing=sharing, history=history, held=held.held),
        "orders_in_period": len(orders),
    }
    if privacy_request.request_type == RequestType.KNOW_SPECIFIC:
        report |= specific_pieces(consumer, records=held.records, orders=orders, start=start)
    return report


def _orders_in_period(consumer: Consumer, *, start: datetime, end: datetime) -> list[Order]:
    return list(
        Order.objects.filter(consumer=consumer, placed_at__gte=start, placed_at__lte=end)
        .select_related("data_system")
        .order_by("placed_at", "pk")
    )
