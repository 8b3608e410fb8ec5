"""Import consumers, their personal records and orders from a CSV or JSON file of the shop's.

The format is documented in docs/import-format.md. Rejected rows are listed on stderr with their
reasons and do not stop the others; the exit code is 0 whenever the file could be read, and 1
with one line on stderr when it could not.
"""

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.services import REQUIRED_FIELDS, ROW_FIELDS, ConsumerImportError, consumer_import

FORMATS = ("csv", "json")


class Command(BaseCommand):
    help = (
        "Import consumers from the shop's CSV or JSON file (see docs/import-format.md). "
        "Safe to run again with the same file: nothing is created twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV or JSON file.")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="The file's format, when its extension (.csv or .json) does not say.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        file_format = options["format"] or path.suffix.lower().lstrip(".")
        if file_format not in FORMATS:
            raise CommandError(
                f"cannot tell the format of {path.name} from its extension: "
                "use --format csv or --format json"
            )
        try:
            text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheets often add a BOM
        except FileNotFoundError as exc:
            raise CommandError(f"cannot read {path}: no such file") from exc
        except IsADirectoryError as exc:
            raise CommandError(f"cannot read {path}: it is a folder, not a file") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"cannot read {path}: it is not UTF-8 text") from exc
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc

        if file_format == "csv":
            rows, first_row_number = self._csv_rows(text, path), 2  # line 1 is the header
        else:
            rows, first_row_number = self._json_rows(text, path), 1

        try:
            result = consumer_import(
                rows=rows, source_label=path.name, first_row_number=first_row_number
            )
        except ConsumerImportError as exc:
            raise CommandError(f"cannot import {path.name}: {exc}") from exc

        for rejected in result.rejected:
            self.stderr.write(str(rejected))
        self.stdout.write(f"Imported {result.summary()}")

    def _csv_rows(self, text: str, path: Path) -> list[dict[str, Any]]:
        try:
            reader = csv.DictReader(text.splitlines(keepends=True), strict=True)
            header = reader.fieldnames
            rows = list(reader)
        except csv.Error as exc:
            raise CommandError(
                f"cannot read {path.name}: not valid CSV (line {reader.line_num}: {exc})"
            ) from exc
        if not header:
            raise CommandError(f"cannot read {path.name}: the file is empty")
        header = [name.strip() for name in header]
        missing = [name for name in REQUIRED_FIELDS if name not in header]
        if missing:
            raise CommandError(
                f"cannot read {path.name}: the header lacks column(s) {', '.join(missing)} "
                f"(it has: {', '.join(header)})"
            )
        unknown = [name for name in header if name not in ROW_FIELDS]
        if unknown:
            self.stderr.write(f"Ignored unknown column(s): {', '.join(unknown)}")
        # Column names with stray spaces around them still count.
        return [
            {(key.strip() if isinstance(key, str) else key): value for key, value in row.items()}
            for row in rows
        ]

    def _json_rows(self, text: str, path: Path) -> list[Any]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"cannot read {path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg})"
            ) from exc
        if isinstance(data, dict) and isinstance(data.get("consumers"), list):
            data = data["consumers"]
        if not isinstance(data, list):
            raise CommandError(
                f'cannot read {path.name}: expected a list of consumers or {{"consumers": [...]}}'
            )
        return data
