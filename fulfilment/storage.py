"""Where the files of answers live: under PRIVATE_FILES_ROOT, which no URL reaches."""

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# A file being written has this suffix until it is complete (fulfilment.exports).
PARTIAL_SUFFIX = ".part"


def exports_folder() -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / "exports"


def export_path(export) -> Path:
    return exports_folder() / export.stored_name


def export_response(export, reference: str):
    """The file of an answer as a download that no cache keeps; 404 once it is removed."""
    from django.http import FileResponse, Http404

    path = export_path(export)
    if export.removed_at is not None or not path.exists():
        raise Http404("The file is no longer kept")
    response = FileResponse(path.open("rb"), as_attachment=True)
    response["Content-Disposition"] = f'attachment; filename="answer-{reference}.{export.format}"'
    response["Cache-Control"] = "no-store"
    return response


def orphan_grace() -> timedelta:
    """How old a file no row points to must be before it is removed. A writer writes its files
    first and points the rows at them after (fulfilment.exports), all within one task, so twice
    the task time limit leaves every live writer alone."""
    return timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT)


def orphan_files_remove(*, now: datetime) -> int:
    """Remove answer files (personal data) that no export row points to: left by a worker
    killed between writing them and saving the rows, or mid-write (`.part`). Returns how many
    went."""
    from .models import Export

    folder = exports_folder()
    if not folder.is_dir():
        return 0
    kept = set(Export.objects.filter(removed_at__isnull=True).values_list("stored_name", flat=True))
    cutoff = (now - orphan_grace()).timestamp()
    removed = 0
    for path in folder.iterdir():
        if not path.is_file() or path.name in kept:
            continue
        try:
            if path.stat().st_mtime >= cutoff:
                continue  # perhaps a writer's, about to be pointed at
            path.unlink()
        except FileNotFoundError:
            continue  # removed meanwhile by its writer or another sweep
        removed += 1
    if removed:
        logger.warning("Removed %s answer files that no export pointed to", removed)
    return removed
