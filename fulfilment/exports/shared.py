"""What the readable files (HTML and PDF) share: the heading and how a record's details read."""

from __future__ import annotations

import json
from typing import Any

from requests_app.models import RequestType


def report_heading(report: dict[str, Any]) -> str:
    if report["report"]["type"] == RequestType.KNOW_SPECIFIC:
        return "Your personal information: a copy of the specific pieces"
    return "Your personal information: the categories we collected, used and shared"


def display_value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def detail_pairs(details: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(key).replace("_", " "), display_value(value))
        for key, value in details.items()
        if value not in (None, "", [], {})
    ]
