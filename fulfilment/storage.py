"""Where the files of answers live: under PRIVATE_FILES_ROOT, which no URL reaches."""

from pathlib import Path

from django.conf import settings


def exports_folder() -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / "exports"


def export_path(export) -> Path:
    return exports_folder() / export.stored_name
