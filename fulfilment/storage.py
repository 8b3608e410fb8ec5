"""Where the files of answers live: under PRIVATE_FILES_ROOT, which no URL reaches."""

from pathlib import Path

from django.conf import settings


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
