"""HTML: templates/fulfilment/report.html, a standalone printable document (its styles are inline:
it is a downloaded file, not a page under the portal's CSP)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from requests_app.models import RequestType

from .shared import detail_pairs, report_heading


def render_html(report: dict[str, Any]) -> str:
    pieces = [
        {**piece, "details": detail_pairs(piece["details"])} for piece in report.get("pieces", [])
    ]
    return render_to_string(
        "fulfilment/report.html",
        {
            "report": {**report, "pieces": pieces},
            "heading": report_heading(report),
            "specific": report["report"]["type"] == RequestType.KNOW_SPECIFIC,
            "downgraded": report["request"]["requested_type"] != report["request"]["type"],
        },
    )
