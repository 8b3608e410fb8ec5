"""Records and metrics (issue: staff workspace, item 7): the figures of 11 CCR 7102 per calendar
year and request type, as a page with a chart of the year's months and as a CSV.

The figures come from requests_app.metrics; this module only lays them out. The chart is drawn
here as SVG geometry for the template: no JavaScript, no inline style (the CSP forbids both).
"""

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from requests_app import metrics

from ..access import staff_view

# --- The figures, in the order the page and the CSV show them ---------------------------------


def _days(value: float | None, *, decimals: int) -> str:
    """Days as text: "" when nothing was answered; the median without a needless ".0"."""
    if value is None:
        return ""
    if decimals == 0 and value == int(value):
        return str(int(value))
    return f"{value:.1f}"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Callable[[metrics.MetricsRow], str]
    sub: bool = False  # a denial reason, shown under "Denied"


def _count(name: str) -> Callable[[metrics.MetricsRow], str]:
    return lambda row: str(getattr(row, name))


def _reason(reason: str) -> Callable[[metrics.MetricsRow], str]:
    return lambda row: str(row.denied_by_reason[reason])


FIGURES = [
    Figure("received", "Received", _count("received")),
    Figure("complied_whole", "Complied with in whole", _count("complied_whole")),
    Figure("complied_part", "Complied with in part", _count("complied_part")),
    Figure("denied", "Denied", _count("denied")),
    *[
        Figure(f"denied_{reason.value}", label, _reason(reason.value), sub=True)
        for reason, label in metrics.DENIAL_SHORT_LABELS.items()
    ],
    Figure(
        "withdrawn_or_unconfirmed", "Withdrawn or not confirmed", _count("withdrawn_or_unconfirmed")
    ),
    Figure("still_open", "Still open", _count("still_open")),
    Figure("answered", "Answered", _count("answered")),
    Figure(
        "median_days",
        "Median days to respond",
        lambda row: _days(row.median_days, decimals=0),
    ),
    Figure(
        "mean_days",
        "Mean days to respond",
        lambda row: _days(row.mean_days, decimals=1),
    ),
]


def _csv_label(figure: Figure) -> str:
    return f"Denied: {figure.label}" if figure.sub else figure.label


# --- The year asked for ---------------------------------------------------------------------


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2999)


def _year(request) -> int:
    if "year" not in request.GET:
        return metrics.current_year()
    form = YearForm(request.GET)
    if not form.is_valid():
        raise BadRequest("The year must be a four-digit year, such as 2026.")
    return form.cleaned_data["year"]


# --- The chart --------------------------------------------------------------------------------

CHART = {"width": 960, "height": 320, "left": 56, "right": 944, "top": 48, "bottom": 284}
RECEIVED_FILL = "#1f4e8c"  # the portal's brand blue
ANSWERED_FILL = "#c25e00"  # orange: told apart from the blue with any colour vision
BAR_WIDTH = 24
BAR_GAP = 4


def _axis_top(maximum: int) -> tuple[int, int]:
    """A round top for the y axis and its step, with at most five steps."""
    # Never fewer than four steps: one request should not fill the chart's whole height.
    maximum = max(maximum, 4)
    raw = maximum / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return math.ceil(maximum / step) * step, step


def _chart(months: list[metrics.MonthCount]) -> dict:
    width = CHART["right"] - CHART["left"]
    height = CHART["bottom"] - CHART["top"]
    top, step = _axis_top(max([m.received for m in months] + [m.answered for m in months]))
    slot = width / len(months)

    def y(value: int) -> float:
        return round(CHART["bottom"] - value / top * height, 1)

    ticks = [{"value": value, "y": y(value)} for value in range(0, top + 1, step)]
    bars = []
    for index, month in enumerate(months):
        middle = CHART["left"] + slot * index + slot / 2
        received_x = middle - BAR_GAP / 2 - BAR_WIDTH
        answered_x = middle + BAR_GAP / 2
        bars.append(
            {
                "month": month,
                "name": month.first_day.strftime("%B"),
                "abbr": month.first_day.strftime("%b"),
                "label_x": round(middle, 1),
                "received": {
                    "x": round(received_x, 1),
                    "y": y(month.received),
                    "height": round(CHART["bottom"] - y(month.received), 1),
                    "label_x": round(received_x + BAR_WIDTH / 2, 1),
                    "label_y": round(y(month.received) - 5, 1),
                },
                "answered": {
                    "x": round(answered_x, 1),
                    "y": y(month.answered),
                    "height": round(CHART["bottom"] - y(month.answered), 1),
                    "label_x": round(answered_x + BAR_WIDTH / 2, 1),
                    "label_y": round(y(month.answered) - 5, 1),
                },
            }
        )
    return {
        **CHART,
        "bar_width": BAR_WIDTH,
        "ticks": ticks,
        "bars": bars,
        "received_fill": RECEIVED_FILL,
        "answered_fill": ANSWERED_FILL,
        "total_received": sum(m.received for m in months),
        "total_answered": sum(m.answered for m in months),
        "x_label_y": CHART["bottom"] + 22,
    }


# --- Views ------------------------------------------------------------------------------------


@staff_view(permission="view_metrics")
@require_GET
def metrics_page(request):
    year = _year(request)
    rows = metrics.request_metrics(year=year)
    columns = [*rows, metrics.metrics_total(rows)]
    table = [
        {
            "figure": figure,
            "cells": [
                {"type": column.request_type, "value": figure.value(column)} for column in columns
            ],
        }
        for figure in FIGURES
    ]
    years = sorted({*metrics.years_with_requests(), metrics.current_year(), year}, reverse=True)
    months = metrics.monthly_counts(year=year)
    return render(
        request,
        "staff/metrics.html",
        {
            "year": year,
            "years": years,
            "columns": columns,
            "total": columns[-1],
            "total_median": _days(columns[-1].median_days, decimals=0),
            "total_mean": _days(columns[-1].mean_days, decimals=1),
            "time_zone": settings.TIME_ZONE,
            "table": table,
            "months": months,
            "chart": _chart(months),
        },
    )


@staff_view(permission="view_metrics")
@require_GET
def metrics_csv(request):
    year = _year(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="privacy-request-metrics-{year}.csv"'
    writer = csv.writer(response)
    writer.writerow(["Year", "Request type", "Type code", *(_csv_label(f) for f in FIGURES)])
    for row in metrics.request_metrics(year=year):
        writer.writerow([year, row.label, row.request_type, *(f.value(row) for f in FIGURES)])
    return response
