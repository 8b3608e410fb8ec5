"""Writing an answer's files where no URL reaches them (settings.PRIVATE_FILES_ROOT / "exports"),
one per format the request's type gets, and pointing the request's Export rows at them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction

from requests_app.models import PrivacyRequest, RequestType

from ..models import Export
from ..storage import PARTIAL_SUFFIX, exports_folder
from .csv_file import render_csv
from .html_file import render_html
from .json_file import render_json
from .pdf_file import render_pdf

# Which files each type of request to know gets (DESIGN.md, "Request types"), in this order.
FORMATS: dict[str, tuple[str, ...]] = {
    RequestType.KNOW_CATEGORIES: (Export.Format.HTML, Export.Format.PDF, Export.Format.JSON),
    RequestType.KNOW_SPECIFIC: (
        Export.Format.JSON,
        Export.Format.CSV,
        Export.Format.HTML,
        Export.Format.PDF,
    ),
}
EXTENSIONS: dict[str, str] = {
    Export.Format.JSON: "json",
    Export.Format.CSV: "csv",
    Export.Format.HTML: "html",
    Export.Format.PDF: "pdf",
}
RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    Export.Format.JSON: render_json,
    Export.Format.CSV: render_csv,
    Export.Format.HTML: lambda report: render_html(report).encode("utf-8"),
    Export.Format.PDF: render_pdf,
}


def _write_private(path: Path, content: bytes) -> None:
    """Write the file under a temporary name, then rename it: a worker killed mid-write leaves
    a `.part` file that no row can point to, never a truncated answer under the final name
    (fulfilment.storage.orphan_files_remove sweeps both)."""
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    # Readable by the portal's own user only; O_EXCL: a fresh uuid never overwrites anything.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)  # atomic on one file system
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _remove(names: Iterable[str]) -> None:
    folder = exports_folder()
    for name in names:
        if name and Path(name).name == name:
            (folder / name).unlink(missing_ok=True)


def exports_write(
    *, privacy_request: PrivacyRequest, report: dict[str, Any], now: datetime
) -> list[Export]:
    """Render the answer's files for the request's type, write each to
    PRIVATE_FILES_ROOT/exports/<uuid>.<ext>, and point the request's Export rows (one per
    format) at them. Returns the rows in FORMATS order.

    Idempotent: run again, it writes fresh files, updates the same rows, and removes the files
    they pointed to, and any row (and file) of a format the request no longer gets (a request
    answered as categories after all), once the transaction commits. Call it outside a
    transaction: rendering a PDF is slow (STYLE.md), and only the row updates take the
    request's lock. Permission checks belong to the caller.
    """
    if report["request"]["reference"] != privacy_request.reference:
        raise ValueError("The report is not about this request.")
    formats = FORMATS[privacy_request.request_type]
    if report["report"]["type"] != privacy_request.request_type:
        raise ValueError("The report's type is not the request's.")
    rendered = [(fmt, RENDERERS[fmt](report)) for fmt in formats]

    folder = exports_folder()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, str, int]] = []
    try:
        for fmt, content in rendered:
            name = f"{uuid.uuid4().hex}.{EXTENSIONS[fmt]}"
            _write_private(folder / name, content)
            written.append((fmt, name, len(content)))
        with transaction.atomic():
            # The request's row lock makes two writers for one request take turns, so the
            # unique (request, format) rows are never created twice.
            PrivacyRequest.objects.select_for_update().only("pk").get(pk=privacy_request.pk)
            existing = {e.format: e for e in Export.objects.filter(request=privacy_request)}
            replaced: list[str] = []
            exports = []
            for fmt, name, size in written:
                export = existing.pop(fmt, None)
                if export is None:
                    export = Export(request=privacy_request, format=str(fmt))
                else:
                    replaced.append(export.stored_name)
                export.stored_name = name
                export.size = size
                export.created_at = now
                export.removed_at = None
                export.save()
                exports.append(export)
            for stale in existing.values():
                replaced.append(stale.stored_name)
                stale.delete()
            transaction.on_commit(lambda: _remove(replaced))
    except BaseException:
        _remove(name for _, name, _ in written)
        raise
    return exports
