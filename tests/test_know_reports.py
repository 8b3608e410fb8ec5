"""The answer to a request to know: the report built from the inventory and the consumer's own
records (fulfilment/reports/), and its files (fulfilment/exports/)."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from consent.models import ConsentSource
from consent.services import sale_opt_out, sale_opt_out_by_identifier
from core import legal_clock
from fulfilment.exports import (
    CSV_PIECE_COLUMNS,
    csv_cell,
    exports_write,
    pdf_file,
    render_csv,
    render_html,
    render_json,
    render_pdf,
)
from fulfilment.models import Export
from fulfilment.reports import know_report
from inventory.models import BusinessPurpose, Category, Sharing, Source
from registry.models import Consumer, DataSystem, PersonalRecord
from requests_app.models import RequestType
from tests import factories
from tests.consent_factories import born_years_ago, minor

pytestmark = pytest.mark.django_db

PASSWORD_WITHHELD = (
    "You have an account password. We hold it only in a form that cannot be read, and we do "
    "not disclose it."
)


def category(slug: str) -> Category:
    return Category.objects.get(slug=slug)


def record(person: Consumer, slug: str, value: str, *, at, source="directly-from-you", **kw):
    return factories.PersonalRecordFactory.create(
        consumer=person,
        category=category(slug),
        value=value,
        source=Source.objects.get(slug=source),
        collected_at=at,
        **kw,
    )


def request_to_know(person: Consumer, *, specific: bool = False, received_at=None):
    kind = RequestType.KNOW_SPECIFIC if specific else RequestType.KNOW_CATEGORIES
    return factories.PrivacyRequestFactory.create(
        consumer=person, request_type=kind, received_at=received_at or timezone.now()
    )


def slugs(report) -> list[str]:
    return [c["slug"] for c in report["categories"]]


def sold_slugs(report) -> set[str]:
    return {item["category"]["slug"] for item in report["sale"]["categories"]}


# --- The categories report --------------------------------------------------------------------


def test_categories_report_covers_only_the_twelve_months_before_receipt():
    dana = factories.consumer()
    received = timezone.now()
    start = legal_clock.know_report_lookback_start(received)
    record(dana, "ip-address", "192.0.2.10", at=start - timedelta(seconds=1), source="your-device")
    record(dana, "photographs", "beach.jpg", at=start, source="social-media")
    record(dana, "clothing-size", "8", at=received + timedelta(minutes=1))

    report = know_report(privacy_request=request_to_know(dana, received_at=received))

    assert slugs(report) == [
        "name",
        "email-address",
        "shipping-address",
        "telephone-number",
        "photographs",
    ]
    assert report["period"]["start"] == start.astimezone(legal_clock.business_zone()).isoformat()
    assert report["period"]["months"] == 12
    assert report["period"]["end"][:10] == legal_clock.local_date(received).isoformat()


def test_sources_are_those_of_the_consumers_own_records():
    dana = factories.consumer()
    record(
        dana,
        "photographs",
        "beach.jpg",
        at=timezone.now() - timedelta(days=3),
        source="social-media",
    )

    report = know_report(privacy_request=request_to_know(dana))

    photographs = next(c for c in report["categories"] if c["slug"] == "photographs")
    # The inventory names three sources for photographs; Dana's came from one.
    assert category("photographs").sources.count() == 3
    assert [s["slug"] for s in photographs["sources"]] == ["social-media"]
    assert photographs["sources_basis"] == "records"
    assert {s["slug"] for s in report["sources"]} == {"directly-from-you", "social-media"}


def test_purposes_and_third_parties_come_from_the_inventory_as_it_is_now():
    dana = factories.consumer()
    Sharing.objects.filter(category__slug="name", third_party__slug="delivery-companies").update(
        reason="So the courier knows whose door to knock on."
    )
    BusinessPurpose.objects.filter(slug="fraud-prevention").update(name="Stopping card fraud")

    report = know_report(privacy_request=request_to_know(dana))

    name = next(c for c in report["categories"] if c["slug"] == "name")
    assert {
        "third_party": {
            "slug": "delivery-companies",
            "name": "Delivery companies",
            "description": "Agents acting for us.",
        },
        "reason": "So the courier knows whose door to knock on.",
    } in name["disclosed_to"]
    assert "Stopping card fraud" in [p["name"] for p in name["purposes"]]
    assert [p["name"] for p in name["purposes"]] == [
        p.name for p in category("name").purposes.all()
    ]
    parties = {p["slug"]: p for p in report["third_parties"]}
    assert "Name" in parties["delivery-companies"]["disclosed"]
    assert "So the courier knows whose door to knock on." in render_html(report)


def test_names_emails_and_addresses_are_reported_sold_to_marketing_partners():
    dana = factories.consumer()

    report = know_report(privacy_request=request_to_know(dana))

    assert report["sale"]["sold"] is True
    assert sold_slugs(report) == {"name", "email-address", "shipping-address"}
    for item in report["sale"]["categories"]:
        assert [s["third_party"]["slug"] for s in item["third_parties"]] == ["marketing-partners"]
    by_slug = {c["slug"]: c for c in report["categories"]}
    assert by_slug["telephone-number"]["sold"] is False
    assert by_slug["name"]["sold_to"][0]["third_party"]["name"] == "Marketing partners"
    assert report["sale"]["purposes_for_selling"] == [
        s.reason
        for s in Sharing.objects.filter(kind=Sharing.Kind.SALE).order_by("category__display_order")
    ]


def test_a_consumer_who_opted_out_before_the_period_is_told_nothing_was_sold():
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=430), tick=False):
        dana = factories.consumer()
        sale_opt_out(consumer=dana, source=ConsentSource.WEB_FORM)

    report = know_report(privacy_request=request_to_know(dana))

    assert report["sale"]["sold"] is False
    assert report["sale"]["status"] == "opted_out"
    assert report["sale"]["categories"] == []
    assert report["sale"]["sale_allowed"] == []
    assert not any(c["sold"] for c in report["categories"])
    # Disclosures for a business purpose do not stop with an opt-out of sale.
    assert report["disclosure"]["disclosed"] is True


def test_an_opt_out_during_the_period_still_reports_the_sale_before_it():
    now = timezone.now()
    opted_out_at = now - timedelta(days=90)
    with time_machine.travel(now - timedelta(days=200), tick=False):
        dana = factories.consumer()  # name, email, address collected 230 days ago
    with time_machine.travel(opted_out_at, tick=False):
        sale_opt_out(consumer=dana, source=ConsentSource.WEB_FORM)

    report = know_report(privacy_request=request_to_know(dana, received_at=now))

    assert sold_slugs(report) == {"name", "email-address", "shipping-address"}
    [allowed] = report["sale"]["sale_allowed"]
    assert allowed["to"] == opted_out_at.astimezone(legal_clock.business_zone()).isoformat(
        timespec="seconds"
    )


def test_an_opt_out_given_before_we_held_anything_means_nothing_was_sold():
    now = timezone.now()
    # Nia opted out by email 120 days ago, before we knew her; she became a customer 100 days
    # ago, when the opt-out waiting for her address was applied.
    with time_machine.travel(now - timedelta(days=120), tick=False):
        sale_opt_out_by_identifier(identifier="nia@example.com", source=ConsentSource.WEB_FORM)
    with time_machine.travel(now - timedelta(days=100), tick=False):
        nia = factories.ConsumerFactory.create(email="nia@example.com")
        record(nia, "shipping-address", "1 Palm Way, Irvine, CA 92618", at=timezone.now())

    report = know_report(privacy_request=request_to_know(nia, received_at=now))

    assert "shipping-address" in slugs(report)
    assert report["sale"]["sold"] is False
    assert report["sale"]["status"] == "not_held_while_allowed"
    [allowed] = report["sale"]["sale_allowed"]
    assert allowed["to"][:10] == legal_clock.local_date(now - timedelta(days=120)).isoformat()


def test_a_consumer_under_sixteen_is_not_reported_sold():
    teen = minor(14)

    report = know_report(privacy_request=request_to_know(teen))

    assert report["sale"]["sold"] is False
    assert report["sale"]["status"] == "under_age"
    assert "16" in report["sale"]["explanation"]


def test_a_consumer_who_turned_sixteen_in_the_period_is_reported_sold_from_that_day():
    sam = factories.consumer(birth_date=born_years_ago(16, days_later=-3))

    report = know_report(privacy_request=request_to_know(sam))

    assert sold_slugs(report) == {"name", "email-address", "shipping-address"}
    [allowed] = report["sale"]["sale_allowed"]
    assert sam.birth_date is not None
    sixteenth_birthday = legal_clock.add_months(sam.birth_date, 12 * 16)
    assert allowed["from"][:10] == sixteenth_birthday.isoformat()


def test_identity_fields_stand_in_for_missing_records_with_the_inventorys_sources():
    nia = factories.ConsumerFactory.create(full_name="Nia Newcomer", phone="")

    report = know_report(privacy_request=request_to_know(nia))

    assert slugs(report) == ["name", "email-address"]
    name = report["categories"][0]
    assert name["from_identity"] is True
    assert name["sources_basis"] == "inventory"
    assert [s["slug"] for s in name["sources"]] == [s.slug for s in category("name").sources.all()]


def test_the_categories_report_reveals_no_specific_piece():
    dana = factories.consumer(full_name="Dana Quintero", email="dana.q@example.com")

    report = know_report(privacy_request=request_to_know(dana))
    text = render_json(report).decode() + render_html(report)

    assert "Dana Quintero" not in text
    assert "dana.q@example.com" not in text
    assert "742 Sample Lane" not in text
    assert "pieces" not in report
    assert "withheld" not in report


def test_the_report_costs_the_same_queries_for_few_or_many_records():
    def queries_for(person):
        privacy_request = request_to_know(person, specific=True)
        with CaptureQueriesContext(connection) as ctx:
            know_report(privacy_request=privacy_request)
        return len(ctx)

    few = factories.consumer(orders=1)
    many = factories.consumer(orders=8)
    for day in range(20):
        record(many, "ip-address", f"192.0.2.{day}", at=timezone.now() - timedelta(days=day + 1))

    assert queries_for(few) == queries_for(many)


# --- The specific-pieces report -----------------------------------------------------------------


def test_specific_report_contains_every_record_and_order_of_the_period():
    dana = factories.consumer(orders=3)
    received = timezone.now()
    old = factories.OrderFactory.create(consumer=dana, placed_at=received - timedelta(days=400))
    record(dana, "ip-address", "192.0.2.1", at=received - timedelta(days=400))
    in_period = PersonalRecord.objects.filter(
        consumer=dana, collected_at__gte=legal_clock.know_report_lookback_start(received)
    )

    report = know_report(privacy_request=request_to_know(dana, specific=True, received_at=received))

    assert sorted(p["value"] for p in report["pieces"]) == sorted(r.value for r in in_period)
    assert len(report["pieces"]) == 4
    expected_orders = set(dana.orders.exclude(pk=old.pk).values_list("order_number", flat=True))
    assert {o["order_number"] for o in report["orders"]} == expected_orders
    assert old.order_number not in render_json(report).decode()
    order = report["orders"][0]
    assert set(order) == {"order_number", "placed_at", "items", "total", "data_system"}
    assert order["total"] == "49.99"
    piece = next(p for p in report["pieces"] if p["category"] == "shipping-address")
    assert piece["category_name"] == "Shipping address"
    assert piece["source"] == "Directly from you"
    assert piece["data_system"] == "Shop database"
    assert piece["details"]["zip_code"] == "94110"
    identity = {item["field"]: item["value"] for item in report["identity"]}
    assert identity["full_name"] == dana.full_name
    assert identity["email"] == dana.email


def test_a_card_number_is_masked_to_its_last_four_digits():
    dana = factories.consumer()
    record(
        dana,
        "credit-card-details",
        "Visa 4111111111111111 exp 12/27",
        at=timezone.now() - timedelta(days=2),
        details={"note": "card 5500-0000-0000-0004", "cvv": "123", "brand": "Visa"},
    )

    report = know_report(privacy_request=request_to_know(dana, specific=True))

    card = next(p for p in report["pieces"] if p["category"] == "credit-card-details")
    assert card["value"] == "Visa ************1111 exp 12/27"
    assert card["details"] == {"note": "card ****-****-****-0004", "brand": "Visa"}
    assert "card_number" in {w["kind"] for w in report["withheld"]}
    for rendered in (render_json(report), render_csv(report), render_html(report).encode()):
        assert b"4111111111111111" not in rendered
        assert b"5500-0000-0000-0004" not in rendered


def test_an_account_holder_is_told_the_password_is_held_but_not_disclosed():
    dana = factories.consumer_with_account()

    report = know_report(privacy_request=request_to_know(dana, specific=True))

    assert {
        "kind": "account_password",
        "label": "Account password",
        "statement": PASSWORD_WITHHELD,
    } in (report["withheld"])
    assert report["account"]["username"] == dana.user.username
    assert dana.user.password not in render_json(report).decode()
    assert PASSWORD_WITHHELD in render_html(report)


def test_a_shopper_without_an_account_has_nothing_withheld():
    report = know_report(privacy_request=request_to_know(factories.consumer(), specific=True))

    assert report["withheld"] == []
    assert report["account"] is None


def test_security_answers_are_held_back_and_said_to_be():
    dana = factories.consumer()
    record(
        dana,
        "demographic-information",
        "25-34",
        at=timezone.now() - timedelta(days=2),
        details={"security_answer": "Fluffy", "Security Question": "First pet?"},
    )

    report = know_report(privacy_request=request_to_know(dana, specific=True))

    assert b"Fluffy" not in render_json(report)
    assert "security_answers" in {w["kind"] for w in report["withheld"]}


# --- The files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
    ],
)
def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(value):
    assert csv_cell(value) == "'" + value
    assert csv_cell("José") == "José"


def test_csv_escapes_a_formula_in_a_record():
    dana = factories.consumer()
    formula = '=HYPERLINK("http://evil.example","click")'
    record(dana, "social-media-username", formula, at=timezone.now() - timedelta(days=1))

    content = render_csv(know_report(privacy_request=request_to_know(dana, specific=True)))

    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0]) == list(CSV_PIECE_COLUMNS)
    values = [row["value"] for row in rows if row["section"] == "record"]
    assert "'" + formula in values
    assert formula not in values
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_categories_csv_has_one_row_per_category():
    dana = factories.consumer()
    report = know_report(privacy_request=request_to_know(dana))

    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))

    assert [row["category"] for row in rows] == [c["name"] for c in report["categories"]]
    assert rows[0]["sold_to"] == "Marketing partners"


def test_json_export_parses_back_to_the_report():
    report = know_report(
        privacy_request=request_to_know(factories.consumer_with_account(), specific=True)
    )

    assert json.loads(render_json(report).decode("utf-8")) == report


def test_html_names_every_category_and_escapes_the_consumers_values():
    dana = factories.consumer()
    record(dana, "social-media-username", "<script>alert(1)</script>", at=timezone.now())
    report = know_report(privacy_request=request_to_know(dana, specific=True))

    html = render_html(report)

    assert html.startswith("<!DOCTYPE html>")
    for item in report["categories"]:
        assert item["name"].replace("'", "&#x27;") in html
    for party in report["third_parties"]:
        assert party["name"] in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "zip code: 94110" in html  # a record's structured details are shown too
    assert '<html lang="en">' in html


def test_a_request_answered_as_categories_says_why_in_its_html():
    dana = factories.consumer()
    privacy_request = request_to_know(dana)
    privacy_request.requested_type = RequestType.KNOW_SPECIFIC
    privacy_request.save(update_fields=["requested_type"])

    html = " ".join(render_html(know_report(privacy_request=privacy_request)).split())

    assert "We could not verify your identity to the degree the law requires" in html


def names_report(full_name: str):
    person = factories.consumer_with_account(full_name=full_name)
    return know_report(privacy_request=request_to_know(person, specific=True))


def pdf_text(content: bytes) -> str:
    """The PDF's text as a reader extracts it, on one line: a table cell or a paragraph that
    wraps reads as the words it holds."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


UNSHOWN_NOTE = "Some characters of your information cannot be shown in this PDF"


def font_installed_for(text: str) -> bool:
    """Whether this machine has a font the PDF embeds that shows every character of `text`."""
    wanted = {ord(c) for c in text}
    regular = [regular for regular, _ in pdf_file.PDF_FONT_CANDIDATES]
    return any(
        Path(path).is_file() and wanted <= pdf_file._font_codepoints(path)
        for path in regular + pdf_file.PDF_FALLBACK_FONT_CANDIDATES
    )


@pytest.mark.parametrize("full_name", ["José Müller", "Zoë O’Brien-Łukasiewicz"])
def test_the_pdf_shows_the_consumers_name_categories_and_records(full_name):
    report = names_report(full_name)

    text = pdf_text(render_pdf(report))

    assert "Your personal information: a copy of the specific pieces" in text
    assert text.count(full_name) >= 2  # the name record, and the identity held today
    assert report["categories"]
    for category in report["categories"]:
        assert category["name"] in text
    address = next(p for p in report["pieces"] if p["category"] == "shipping-address")
    assert address["value"] == "742 Sample Lane, San Francisco, CA 94110"
    assert address["value"] in text
    assert "zip code: 94110" in text  # a record's structured details too
    assert report["request"]["reference"] in text
    assert UNSHOWN_NOTE not in text


def test_a_name_in_a_script_no_installed_font_shows_is_flagged_not_dropped():
    """Chinese needs a fallback font (fonts-droid-fallback): with one the name prints as it is,
    without one as "?" under a note that the HTML and JSON show it exactly."""
    text = pdf_text(render_pdf(names_report("王小明")))

    if font_installed_for("王小明"):
        assert "王小明" in text
        assert UNSHOWN_NOTE not in text
    else:
        assert "???" in text
        assert UNSHOWN_NOTE in text
    assert "Email address" in text


@pytest.mark.parametrize(
    ("full_name", "printed"), [("José Müller", "José Müller"), ("王小明", "???")]
)
def test_the_pdf_renders_without_any_installed_font(monkeypatch, full_name, printed):
    monkeypatch.setattr(pdf_file, "PDF_FONT_CANDIDATES", [])
    monkeypatch.setattr(pdf_file, "PDF_FALLBACK_FONT_CANDIDATES", [])

    text = pdf_text(render_pdf(names_report(full_name)))

    assert printed in text
    assert (UNSHOWN_NOTE in text) == (printed != full_name)


def test_without_a_unicode_font_latin_1_letters_are_kept_and_others_flagged():
    text = pdf_file._PdfText(covered=pdf_file.LATIN_1, lookalikes=True)

    assert text("José Müller") == "José Müller"
    assert text("O’Brien – Łukasz") == "O'Brien - ?ukasz"
    assert text("王小明") == "???"
    assert text.lost is True


def test_exports_of_a_specific_request_are_json_csv_html_and_pdf(
    django_capture_on_commit_callbacks,
):
    privacy_request = request_to_know(factories.consumer(), specific=True)
    report = know_report(privacy_request=privacy_request)

    with django_capture_on_commit_callbacks(execute=True):
        written = exports_write(privacy_request=privacy_request, report=report, now=timezone.now())

    assert [e.format for e in written] == ["json", "csv", "html", "pdf"]
    folder = Path(settings.PRIVATE_FILES_ROOT) / "exports"
    for export in written:
        path = folder / export.stored_name
        assert path.read_bytes()[:4] in {b"{\n  ", b'\xef\xbb\xbf"', b"<!DO", b"%PDF"}
        assert export.size == path.stat().st_size
        assert export.stored_name.endswith("." + export.format)


def test_exports_of_a_categories_request_are_html_pdf_and_json(django_capture_on_commit_callbacks):
    privacy_request = request_to_know(factories.consumer())
    report = know_report(privacy_request=privacy_request)

    with django_capture_on_commit_callbacks(execute=True):
        written = exports_write(privacy_request=privacy_request, report=report, now=timezone.now())

    assert [e.format for e in written] == ["html", "pdf", "json"]


def test_writing_the_exports_twice_keeps_one_row_per_format_and_only_the_latest_files(
    django_capture_on_commit_callbacks,
):
    privacy_request = request_to_know(factories.consumer(), specific=True)
    report = know_report(privacy_request=privacy_request)
    private = Path(settings.PRIVATE_FILES_ROOT).resolve()

    with django_capture_on_commit_callbacks(execute=True):
        first = exports_write(privacy_request=privacy_request, report=report, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        second = exports_write(privacy_request=privacy_request, report=report, now=timezone.now())

    rows = Export.objects.filter(request=privacy_request)
    assert rows.count() == 4
    assert {e.pk for e in first} == {e.pk for e in second}
    on_disk = {p.name for p in private.rglob("*") if p.is_file()}
    assert on_disk == {e.stored_name for e in rows}
    assert not on_disk & {e.stored_name for e in first}
    for path in private.rglob("*"):
        assert path.resolve().is_relative_to(private)


def test_a_request_answered_as_categories_after_all_loses_its_specific_files(
    django_capture_on_commit_callbacks,
):
    privacy_request = request_to_know(factories.consumer(), specific=True)
    with django_capture_on_commit_callbacks(execute=True):
        exports_write(
            privacy_request=privacy_request,
            report=know_report(privacy_request=privacy_request),
            now=timezone.now(),
        )
    privacy_request.request_type = RequestType.KNOW_CATEGORIES
    privacy_request.save(update_fields=["request_type"])

    with django_capture_on_commit_callbacks(execute=True):
        exports_write(
            privacy_request=privacy_request,
            report=know_report(privacy_request=privacy_request),
            now=timezone.now(),
        )

    rows = Export.objects.filter(request=privacy_request)
    assert sorted(rows.values_list("format", flat=True)) == ["html", "json", "pdf"]
    folder = Path(settings.PRIVATE_FILES_ROOT) / "exports"
    assert {p.name for p in folder.iterdir()} == {e.stored_name for e in rows}


def test_a_report_for_another_request_is_refused():
    dana = factories.consumer()
    one, other = request_to_know(dana), request_to_know(dana)

    with pytest.raises(ValueError, match="not about this request"):
        exports_write(
            privacy_request=other, report=know_report(privacy_request=one), now=timezone.now()
        )


def test_data_systems_named_in_the_pieces_come_from_the_registry():
    dana = factories.consumer()
    DataSystem.objects.filter(slug="shop-database").update(name="Shop DB (Shopify)")

    report = know_report(privacy_request=request_to_know(dana, specific=True))

    assert {p["data_system"] for p in report["pieces"]} == {"Shop DB (Shopify)"}


def test_identity_categories_collected_before_the_period_are_not_dated_by_the_import():
    from datetime import timedelta

    from django.utils import timezone

    person = factories.consumer(email="caleb@example.com")
    person.records.filter(category__slug__in=["name", "email-address"]).update(
        collected_at=timezone.now() - timedelta(days=600)
    )
    request = factories.PrivacyRequestFactory.create(consumer=person)

    report = know_report(privacy_request=request)

    collected = {c["slug"] for c in report["categories"]}
    assert "name" not in collected
    assert "email-address" not in collected
