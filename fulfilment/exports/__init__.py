"""The files of an answer to know, rendered from fulfilment.reports.know_report's dict, one
module per format, and written where no URL reaches them (settings.PRIVATE_FILES_ROOT /
"exports"):

    json_file    JSON: the report itself
    csv_file     CSV: one row per piece, or per category; safe to open in a spreadsheet
    html_file    HTML: a standalone printable document
    pdf_file     PDF (fpdf2): the same content as the HTML, in the best fonts the machine has
    writing      which files a request gets, written atomically, and the Export rows

Which files (DESIGN.md, "Request types"):

- know: categories -> HTML, PDF and JSON;
- know: specific pieces -> JSON and CSV (portable, machine-readable) and HTML and PDF (readable).
"""

from .csv_file import CSV_CATEGORY_COLUMNS, CSV_PIECE_COLUMNS, csv_cell, render_csv
from .html_file import render_html
from .json_file import render_json
from .pdf_file import render_pdf
from .writing import EXTENSIONS, FORMATS, RENDERERS, exports_write

__all__ = [
    "CSV_CATEGORY_COLUMNS",
    "CSV_PIECE_COLUMNS",
    "EXTENSIONS",
    "FORMATS",
    "RENDERERS",
    "csv_cell",
    "exports_write",
    "render_csv",
    "render_html",
    "render_json",
    "render_pdf",
]
