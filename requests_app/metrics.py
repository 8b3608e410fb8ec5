"""The figures 11 CCR 7102 asks a business to compile, per calendar year and request type.

Read by the staff metrics page and its CSV (staff/views/metrics.py). The definitions, stated on
that page too:

- A request counts in the calendar year, and the month, in which it was *received*, as a date in
  the business's time zone (core.legal_clock), not in UTC.
- It counts under its type *as finally answered* (`request_type`): a request for specific pieces
  that was answered as a request for categories counts as one for categories.
- It is *answered* once it has a response date (`responded_at`) and was not withdrawn or closed
  for want of a confirmed email address. Withdrawn and closed-unconfirmed requests count as
  received, and in a column of their own, never as answered.
- "Days to respond" is the number of calendar days from the receipt date to the response date,
  both local dates. Only answered requests count in the median and the mean.

Every figure is computed in the database with aggregates, so the cost is a fixed number of
queries whatever the number of requests: two for `request_metrics` (the counts, and one list of
day counts for the median), two for `monthly_counts`, one for `years_with_requests`.
"""

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import ExtractMonth, TruncDate

from core import legal_clock

from .models import DenialReason, Outcome, PrivacyRequest, RequestType, Status

# Closed without an answer: they count as received, never as answered.
CLOSED_UNANSWERED = [Status.WITHDRAWN, Status.CLOSED_UNCONFIRMED]

# Short names for table headings; the choices' labels are sentences written for consumers.
TYPE_SHORT_LABELS = {
    RequestType.KNOW_CATEGORIES: "Know: categories",
    RequestType.KNOW_SPECIFIC: "Know: specific pieces",
    RequestType.DELETE: "Delete",
}
DENIAL_SHORT_LABELS = {
    DenialReason.NOT_VERIFIED: "Identity not verified",
    DenialReason.NO_DATA: "No consumer or no data",
    DenialReason.EXCEPTION: "Exception in the law",
    DenialReason.OVER_CAP: "Over the cap of two",
    DenialReason.FRAUD: "Belief of fraud",
}
ALL_TYPES = "all"


def _answered() -> Q:
    return Q(responded_at__isnull=False) & ~Q(status__in=CLOSED_UNANSWERED)


def _received_in(year: int) -> QuerySet[PrivacyRequest]:
    """Requests received in `year` in the business's time zone. A range on the indexed
    `received_at` rather than a `__year` lookup: explicit about the zone, and the index serves."""
    return PrivacyRequest.objects.filter(
        received_at__gte=legal_clock.start_of_day(date(year, 1, 1)),
        received_at__lt=legal_clock.start_of_day(date(year + 1, 1, 1)),
    ).order_by()


@dataclass(frozen=True)
class MetricsRow:
    """One request type's figures for one year (or, with request_type ALL_TYPES, their sum)."""

    request_type: str
    label: str
    received: int
    complied_whole: int
    complied_part: int
    denied: int
    # Every DenialReason value, in the choices' order, with its count (zero included).
    denied_by_reason: dict[str, int]
    withdrawn_or_unconfirmed: int
    answered: int
    # Calendar days to respond of each answered request; the median and mean come from these.
    days: tuple[int, ...] = field(repr=False)

    @property
    def still_open(self) -> int:
        return self.received - self.answered - self.withdrawn_or_unconfirmed

    @property
    def median_days(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None

    @property
    def mean_days(self) -> float | None:
        return round(statistics.fmean(self.days), 1) if self.days else None


def request_metrics(*, year: int) -> list[MetricsRow]:
    """One row per request type (every type, even with no requests) for requests received in
    `year`. Two queries."""
    answered = _answered()
    reason_counts = {
        f"denied_{reason}": Count(
            "pk", filter=answered & Q(outcome=Outcome.DENIED, denial_reason=reason)
        )
        for reason in DenialReason.values
    }
    counts: dict[str, Mapping[str, Any]] = {
        row["request_type"]: row
        for row in _received_in(year)
        .values("request_type")
        .annotate(
            received=Count("pk"),
            answered=Count("pk", filter=answered),
            complied_whole=Count("pk", filter=answered & Q(outcome=Outcome.COMPLIED_WHOLE)),
            complied_part=Count("pk", filter=answered & Q(outcome=Outcome.COMPLIED_PART)),
            denied=Count("pk", filter=answered & Q(outcome=Outcome.DENIED)),
            withdrawn_or_unconfirmed=Count("pk", filter=Q(status__in=CLOSED_UNANSWERED)),
            **reason_counts,
        )
    }

    zone = legal_clock.business_zone()
    days_to_respond = ExpressionWrapper(
        TruncDate("responded_at", tzinfo=zone) - TruncDate("received_at", tzinfo=zone),
        output_field=DurationField(),
    )
    days: dict[str, list[int]] = {value: [] for value in RequestType.values}
    for request_type, elapsed in (
        _received_in(year)
        .filter(answered)
        .annotate(days_to_respond=days_to_respond)
        .values_list("request_type", "days_to_respond")
    ):
        days.setdefault(request_type, []).append(elapsed.days)

    rows = []
    for request_type in RequestType:
        found = counts.get(request_type.value, {})
        rows.append(
            MetricsRow(
                request_type=request_type.value,
                label=TYPE_SHORT_LABELS[request_type],
                received=found.get("received", 0),
                complied_whole=found.get("complied_whole", 0),
                complied_part=found.get("complied_part", 0),
                denied=found.get("denied", 0),
                denied_by_reason={
                    reason: found.get(f"denied_{reason}", 0) for reason in DenialReason.values
                },
                withdrawn_or_unconfirmed=found.get("withdrawn_or_unconfirmed", 0),
                answered=found.get("answered", 0),
                days=tuple(sorted(days[request_type.value])),
            )
        )
    return rows


def metrics_total(rows: list[MetricsRow]) -> MetricsRow:
    """All types together; the median and mean are over every answered request, not an
    average of the types' figures."""
    return MetricsRow(
        request_type=ALL_TYPES,
        label="All types",
        received=sum(row.received for row in rows),
        complied_whole=sum(row.complied_whole for row in rows),
        complied_part=sum(row.complied_part for row in rows),
        denied=sum(row.denied for row in rows),
        denied_by_reason={
            reason: sum(row.denied_by_reason[reason] for row in rows)
            for reason in DenialReason.values
        },
        withdrawn_or_unconfirmed=sum(row.withdrawn_or_unconfirmed for row in rows),
        answered=sum(row.answered for row in rows),
        days=tuple(sorted(day for row in rows for day in row.days)),
    )


@dataclass(frozen=True)
class MonthCount:
    first_day: date
    received: int  # received in this month (local date)
    answered: int  # answered in this month (local response date), whenever received


def monthly_counts(*, year: int) -> list[MonthCount]:
    """Twelve months of `year`: requests received in each, and requests answered in each (by
    the response's local date, so a December request answered in January is January's
    answer). Two queries."""
    zone = legal_clock.business_zone()
    received = dict(
        _received_in(year)
        .annotate(month=ExtractMonth("received_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("pk"))
        .values_list("month", "count")
    )
    answered = dict(
        PrivacyRequest.objects.filter(
            _answered(),
            responded_at__gte=legal_clock.start_of_day(date(year, 1, 1)),
            responded_at__lt=legal_clock.start_of_day(date(year + 1, 1, 1)),
        )
        .order_by()
        .annotate(month=ExtractMonth("responded_at", tzinfo=zone))
        .values("month")
        .annotate(count=Count("pk"))
        .values_list("month", "count")
    )
    return [
        MonthCount(
            first_day=date(year, month, 1),
            received=received.get(month, 0),
            answered=answered.get(month, 0),
        )
        for month in range(1, 13)
    ]


def current_year() -> int:
    """This year in the business's time zone."""
    return legal_clock.today().year


def years_with_requests() -> list[int]:
    """The years (local) in which at least one request was received, newest first. One query."""
    return [
        moment.year
        for moment in PrivacyRequest.objects.datetimes(
            "received_at", "year", order="DESC", tzinfo=legal_clock.business_zone()
        )
    ]
