"""CSV: UTF-8 with a byte-order mark (so spreadsheet programs read accents and non-Latin scripts
correctly), every cell quoted, one header row. A cell that a spreadsheet would run as a formula
(first character = + - @, tab or carriage return) is prefixed with a single quote, as OWASP's
"CSV Injection" page recommends; a phone number "+1415..." so reads "'+1415...". Columns:

- specific pieces, one row per piece (CSV_PIECE_COLUMNS):
  section (identity | account | record | order | withheld), category (its name, for records),
  item (the detail's label, the order number, or the withheld kind's label), value, details
  (JSON object of the record's structured parts, or the order's total), date (ISO 8601, when
  it was collected or placed), source, data_system.
- categories, one row per category collected in the period (CSV_CATEGORY_COLUMNS):
  category, first_collected, last_collected, sources, business_purposes, disclosed_to, sold_to;
  lists are joined with "; ".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from requests_app.models import RequestType

CSV_PIECE_COLUMNS = (
    "section",
    "category",
    "item",
    "value",
    "details",
    "date",
    "source",
    "data_system",
)
CSV_CATEGORY_COLUMNS = (
    "category",
    "first_collected",
    "last_collected",
    "sources",
    "business_purposes",
    "disclosed_to",
    "sold_to",
)
# OWASP, CSV Injection: cells starting with these are run as formulas by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell, safe to open in a spreadsheet program."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": ")) if value else ""


def _piece_rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for item in report.get("identity", []):
        yield ("identity", "", item["label"], item["value"], "", "", "", "")
    account = report.get("account")
    if account:
        for label, key in (
            ("Username", "username"),
            ("Email address", "email"),
            ("Created", "created_at"),
            ("Last signed in", "last_login_at"),
        ):
            if account.get(key):
                yield ("account", "", label, account[key], "", "", "", "")
    for piece in report.get("pieces", []):
        yield (
            "record",
            piece["category_name"],
            "",
            piece["value"],
            _compact_json(piece["details"]),
            piece["collected_at"],
            piece["source"],
            piece["data_system"],
        )
    for order in report.get("orders", []):
        yield (
            "order",
            "",
            order["order_number"],
            order["items"],
            _compact_json({"total": order["total"]}),
            order["placed_at"],
            "",
            order["data_system"],
        )
    for item in report.get("withheld", []):
        yield ("withheld", "", item["label"], item["statement"], "", "", "", "")


def _category_rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    def names(items: Iterable[dict[str, Any]]) -> str:
        return "; ".join(item["name"] for item in items)

    for category in report["categories"]:
        yield (
            category["name"],
            category["first_collected_at"],
            category["last_collected_at"],
            names(category["sources"]),
            names(category["purposes"]),
            "; ".join(s["third_party"]["name"] for s in category["disclosed_to"]),
            "; ".join(s["third_party"]["name"] for s in category["sold_to"]),
        )


def render_csv(report: dict[str, Any]) -> bytes:
    """Specific pieces: one row per piece; categories: one row per category (module docstring)."""
    specific = report["report"]["type"] == RequestType.KNOW_SPECIFIC
    columns, rows = (
        (CSV_PIECE_COLUMNS, _piece_rows(report))
        if specific
        else (CSV_CATEGORY_COLUMNS, _category_rows(report))
    )
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")
