"""PDF (fpdf2): the same content. fpdf2's core fonts know Latin-1 only, so the PDF embeds DejaVu
Sans (fonts-dejavu-core) when it is installed, plus, only when the report needs them, fallback
fonts for scripts DejaVu lacks (CJK: Droid Sans Fallback, WenQuanYi, Noto CJK), looked up in
PDF_FONT_CANDIDATES and PDF_FALLBACK_FONT_CANDIDATES. Without DejaVu it falls back to the core
Helvetica: typographic punctuation becomes its ASCII look-alike and accents are kept when
Latin-1 has the letter (José Müller prints as is). A character no available font can show is
printed as "?" and the PDF then says, at the top, that the HTML and JSON files show every
character exactly; rendering never fails because of a character.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace

from requests_app.models import RequestType

from .shared import detail_pairs, report_heading

# fpdf2 subsets embedded fonts with fontTools, which logs every table it touches at INFO: noise
# in the worker's log for each PDF.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


# Regular and bold faces of the main font, first found wins; fonts-dejavu-core on Debian.
PDF_FONT_CANDIDATES: list[tuple[str, str]] = [
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
]
# Fonts for the scripts the main font lacks (Chinese, Japanese, Korean...), used only for the
# characters that need them.
PDF_FALLBACK_FONT_CANDIDATES: list[str] = [
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
]
UNSHOWABLE = "?"
# What the core fonts' Latin-1 lacks but has a look-alike for.
ASCII_LOOKALIKES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": ",",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "•": "*",
        "€": "EUR",
        "™": "(TM)",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
LATIN_1 = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))


@lru_cache(maxsize=16)
def _font_codepoints(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    collection = path.lower().endswith((".ttc", ".otc"))
    font = TTFont(path, fontNumber=0 if collection else -1, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def _main_fonts() -> tuple[str, str] | None:
    for regular, bold in PDF_FONT_CANDIDATES:
        if Path(regular).is_file():
            return regular, (bold if Path(bold).is_file() else regular)
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@dataclass
class _PdfText:
    """Makes any text printable in the fonts this PDF has, and remembers whether it had to
    drop a character."""

    covered: frozenset[int]
    lookalikes: bool  # core font: replace typographic punctuation first
    lost: bool = False
    _cache: dict[str, str] = field(default_factory=dict)

    def __call__(self, text: Any) -> str:
        text = "" if text is None else str(text)
        if text in self._cache:
            return self._cache[text]
        source = text.translate(ASCII_LOOKALIKES) if self.lookalikes else text
        out = []
        for char in source:
            if char in "\n":
                out.append(char)
            elif char == "\t":
                out.append(" ")
            elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
                continue
            elif ord(char) in self.covered:
                out.append(char)
            else:
                base = "".join(
                    c
                    for c in unicodedata.normalize("NFKD", char)
                    if ord(c) in self.covered and not unicodedata.combining(c)
                )
                if base:
                    out.append(base)
                else:
                    out.append(UNSHOWABLE)
                    self.lost = True
        self._cache[text] = result = "".join(out)
        return result


class _ReportPDF(FPDF):
    def __init__(self, *, reference: str, family: str, printable: _PdfText) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.report_reference = reference
        self.report_family = family
        self.printable = printable

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.report_family, "", 8)
        self.set_text_color(80)
        label = self.printable(f"Request {self.report_reference}")
        self.cell(0, 5, f"{label} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def _pdf_setup(report: dict[str, Any]) -> _ReportPDF:
    """A PDF with the best fonts this machine has for the report's text (module docstring)."""
    needed = {ord(c) for s in _strings(report) for c in s}
    main = _main_fonts()
    if main is None:
        text = _PdfText(covered=LATIN_1, lookalikes=True)
        pdf = _ReportPDF(
            reference=report["request"]["reference"], family="helvetica", printable=text
        )
        return pdf
    regular, bold = main
    covered = set(_font_codepoints(regular))
    fallbacks = []
    for candidate in PDF_FALLBACK_FONT_CANDIDATES:
        missing = needed - covered
        if not missing:
            break
        if Path(candidate).is_file() and missing & _font_codepoints(candidate):
            fallbacks.append(candidate)
            covered |= _font_codepoints(candidate)
    text = _PdfText(covered=frozenset(covered), lookalikes=False)
    pdf = _ReportPDF(reference=report["request"]["reference"], family="report", printable=text)
    pdf.add_font("report", "", regular)
    pdf.add_font("report", "B", bold)
    names = []
    for index, path in enumerate(fallbacks):
        name = f"fallback{index}"
        pdf.add_font(name, "", path)
        names.append(name)
    if names:
        pdf.set_fallback_fonts(names, exact_match=False)
    return pdf


@dataclass
class _Writer:
    """The PDF's few kinds of block, so the layout reads like the HTML template."""

    pdf: _ReportPDF

    @property
    def t(self) -> _PdfText:
        return self.pdf.printable

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.pdf.report_family, "B" if bold else "", size)

    def title(self, text: str) -> None:
        self.font(17, bold=True)
        self.pdf.multi_cell(0, 8, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.pdf.ln(1)

    def section(self, text: str) -> None:
        if self.pdf.get_y() > self.pdf.page_break_trigger - 30:
            self.pdf.add_page()
        self.pdf.ln(4)
        self.pdf.start_section(self.t(text), level=0)
        self.font(13, bold=True)
        self.pdf.multi_cell(0, 6.5, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")
        y = self.pdf.get_y()
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.ln(2)

    def subsection(self, text: str) -> None:
        if self.pdf.get_y() > self.pdf.page_break_trigger - 20:
            self.pdf.add_page()
        self.pdf.ln(1.5)
        self.pdf.start_section(self.t(text), level=1)
        self.font(11, bold=True)
        self.pdf.multi_cell(0, 5.5, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.pdf.ln(0.5)

    def para(self, text: str, *, size: float = 10, bold: bool = False) -> None:
        self.font(size, bold=bold)
        self.pdf.multi_cell(0, size * 0.5, self.t(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.pdf.ln(1.2)

    def entry(self, heading: str, lines: Iterable[str]) -> None:
        """A bold heading and indented lines: for content of any length (it flows over pages,
        where a table row taller than a page cannot)."""
        if self.pdf.get_y() > self.pdf.page_break_trigger - 12:
            self.pdf.add_page()
        self.font(10, bold=True)
        self.pdf.multi_cell(0, 5, self.t(heading), new_x="LMARGIN", new_y="NEXT", align="L")
        self.font(9.5)
        indent = 5
        for line in lines:
            if not line:
                continue
            self.pdf.set_x(self.pdf.l_margin + indent)
            self.pdf.multi_cell(
                self.pdf.epw - indent, 4.6, self.t(line), new_x="LMARGIN", new_y="NEXT", align="L"
            )
        self.pdf.ln(1.5)

    def table(self, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple) -> None:
        """A table, for short cells only (names and dates)."""
        self.font(9)
        with self.pdf.table(
            col_widths=widths,
            text_align="LEFT",
            v_align="TOP",
            line_height=4.6,
            padding=1.2,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        ) as table:
            head = table.row()
            for heading in headings:
                head.cell(self.t(heading))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.t(value))
        self.pdf.ln(2)


def _date(value: str | None) -> str:
    return (value or "")[:10]


def _collected(category: dict[str, Any]) -> str:
    first, last = _date(category["first_collected_at"]), _date(category["last_collected_at"])
    return first if first == last else f"{first} to {last}"


def render_pdf(report: dict[str, Any]) -> bytes:
    """The readable PDF copy: the same sections as the HTML (templates/fulfilment/report.html)."""
    pdf = _pdf_setup(report)
    business, request, period = report["business"], report["request"], report["period"]
    specific = report["report"]["type"] == RequestType.KNOW_SPECIFIC
    heading = report_heading(report)
    text = pdf.printable
    # Walk the whole report once first, so the note about unshowable characters can lead.
    for value in _strings(report):
        text(value)

    pdf.set_title(text(f"{heading} — {business['name']} — {request['reference']}"))
    pdf.set_author(text(business["name"]))
    pdf.set_subject(text(f"Answer to request {request['reference']}"))
    pdf.set_lang("en-US")
    pdf.set_creator("Privacy rights request portal")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    w = _Writer(pdf)

    w.title(heading)
    w.para(
        f"From {business['name']} · Request {request['reference']}, received "
        f"{_date(request['received_at'])}",
        size=10,
    )
    w.para(
        f"This answer covers the {period['months']} months before we received your request: "
        f"from {_date(period['start'])} to {_date(period['end'])}. Dates are in our business's "
        "time zone."
    )
    if request["requested_type"] != request["type"]:
        w.para(
            "You asked for a copy of the specific pieces of personal information we hold about "
            "you. We could not verify your identity to the degree the law requires for that, so "
            "we answer with the categories of personal information instead."
        )
    if text.lost:
        w.para(
            f'Some characters of your information cannot be shown in this PDF and appear as "'
            f'{UNSHOWABLE}". The HTML and JSON files of this answer show every character exactly.',
            bold=True,
        )

    w.section("1. The categories of personal information we collected about you")
    if report["categories"]:
        w.table(
            ("Category", "Collected", "Where it came from", "Why we collected it"),
            [
                (
                    c["name"],
                    _collected(c),
                    "; ".join(s["name"] for s in c["sources"])
                    + (
                        " (the sources we name for this category)"
                        if c["sources_basis"] == "inventory"
                        else ""
                    ),
                    "; ".join(p["name"] for p in c["purposes"]),
                )
                for c in report["categories"]
            ],
            widths=(22, 18, 25, 35),
        )
    else:
        w.para("We collected no personal information about you in this period.")
    if report["orders_in_period"]:
        count = report["orders_in_period"]
        w.para(f"You placed {count} order{'s' if count != 1 else ''} with us in the period.")

    w.section("2. The categories of sources of this information")
    for source in report["sources"] or []:
        w.entry(source["name"], [source["description"], "For: " + ", ".join(source["categories"])])
    if not report["sources"]:
        w.para("None in this period.")

    w.section("3. Our business or commercial purposes for collecting it, and how it is used")
    for purpose in report["purposes"]:
        w.entry(
            purpose["name"], [purpose["description"], "Uses: " + ", ".join(purpose["categories"])]
        )
    if not report["purposes"]:
        w.para("None in this period.")
    if report["sale"]["purposes_for_selling"]:
        w.subsection("Our purposes for selling it")
        for reason in report["sale"]["purposes_for_selling"]:
            w.para("• " + reason)

    w.section("4. The categories of third parties with whom we share it")
    if report["third_parties"]:
        w.table(
            (
                "Category of third parties",
                "Disclosed to them for a business purpose",
                "Sold to them",
            ),
            [
                (
                    party["name"],
                    ", ".join(party["disclosed"]) or "-",
                    ", ".join(party["sold"]) or "-",
                )
                for party in report["third_parties"]
            ],
            widths=(34, 40, 26),
        )
    else:
        w.para("We shared none of your personal information with third parties in this period.")

    w.section("5. Personal information we sold or disclosed for a business purpose")
    w.subsection("Sold")
    if report["sale"]["sold"]:
        w.para("Yes. We sold these categories of your personal information in the period:")
        for item in report["sale"]["categories"]:
            w.entry(
                item["category"]["name"],
                [
                    f"Sold to {s['third_party']['name']}: {s['reason']}"
                    for s in item["third_parties"]
                ],
            )
    else:
        w.para("No. " + report["sale"]["explanation"])
    w.subsection("Disclosed for a business purpose")
    if report["disclosure"]["disclosed"]:
        for item in report["disclosure"]["categories"]:
            w.entry(
                item["category"]["name"],
                [
                    f"Disclosed to {s['third_party']['name']}: {s['reason']}"
                    for s in item["third_parties"]
                ],
            )
    else:
        w.para("No. We disclosed none of your personal information for a business purpose.")

    if specific:
        _pdf_pieces(w, report)

    w.section("Questions about this answer")
    w.para(
        f"{business['name']}, {business['address']}; {business['privacy_email']}; "
        f"{business['phone']}. Please quote request {request['reference']}."
    )
    w.para(f"Prepared {_date(report['report']['generated_at'])}.", size=8.5)
    return bytes(pdf.output())


def _pdf_pieces(w: _Writer, report: dict[str, Any]) -> None:
    w.section("6. The specific pieces of personal information we hold about you")
    w.para(
        "Your details as we hold them today, and every piece of personal information we "
        "collected about you in the period, with when, where from, and where we keep it."
    )
    w.subsection("Your details")
    for item in report["identity"]:
        w.entry(item["label"], [item["value"]])
    account = report.get("account")
    if account:
        w.subsection("Your account")
        w.entry("Username", [account["username"]])
        w.entry("Email address", [account["email"]])
        w.entry("Created", [_date(account["created_at"])])
        if account.get("last_login_at"):
            w.entry("Last signed in", [_date(account["last_login_at"])])

    w.subsection("Personal information collected in the period")
    for piece in report["pieces"]:
        w.entry(
            f"{piece['category_name']} · collected {_date(piece['collected_at'])}",
            [
                piece["value"],
                *(f"{key}: {value}" for key, value in detail_pairs(piece["details"])),
                f"Where it came from: {piece['source']} · Where we keep it: {piece['data_system']}",
            ],
        )
    if not report["pieces"]:
        w.para("None.")

    w.subsection("Your orders in the period")
    for order in report["orders"]:
        w.entry(
            f"Order {order['order_number']} · placed {_date(order['placed_at'])}",
            [
                order["items"],
                f"Total: {order['total']} · Where we keep it: {order['data_system']}",
            ],
        )
    if not report["orders"]:
        w.para("None.")

    if report["withheld"]:
        w.subsection("Information we hold but do not disclose")
        for item in report["withheld"]:
            w.entry(item["label"], [item["statement"]])
