"""JSON: the report itself, UTF-8, indented, non-ASCII characters as they are."""

from __future__ import annotations

import json
from typing import Any


def render_json(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
