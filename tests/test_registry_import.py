"""Importing the shop's consumers (import_consumers, docs/import-format.md)."""

import csv
import json
import subprocess
import sys
from datetime import datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command

from registry.models import Consumer, Order, PersonalRecord
from registry.services import consumer_import
from tests import factories

pytestmark = pytest.mark.django_db

CSV_COLUMNS = [
    "customer_id",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "collected_at",
    "order_number",
    "order_placed_at",
    "order_items",
    "order_total",
]

ALICE = {
    "customer_id": "C-1001",
    "full_name": "Alice Alvarez",
    "email": "  Alice.Alvarez@Example.COM ",
    "phone": "(415) 555-0123",
    "birth_date": "1988-02-29",
    "address_line1": "12 Mission St",
    "address_line2": "Apt 4",
    "city": "San Francisco",
    "state": "ca",
    "zip_code": "94105",
    "collected_at": "2026-03-14",
    "order_number": "DP-1001-1",
    "order_placed_at": "2026-09-01T10:15:00-07:00",
    "order_items": "Women's Platform Sandals, size 7",
    "order_total": "32.99",
}
BEN = {
    "customer_id": "C-1002",
    "full_name": "Ben Brooks",
    "email": "ben@example.org",
    "phone": "",
    "birth_date": "",
    "address_line1": "9 Congress Ave",
    "address_line2": "",
    "city": "Austin",
    "state": "TX",
    "zip_code": "78701",
    "collected_at": "",
}

CAROL = {
    "customer_id": "C-2001",
    "full_name": "Carol Chen",
    "email": "Carol@Example.net",
    "phone": "+1 212 555 0188",
    "address_line1": "5 Hudson St",
    "city": "New York",
    "state": "NY",
    "zip_code": "10013",
    "collected_at": "2026-01-05T09:30:00Z",
    "records": [
        {"category": "ip-address", "value": "203.0.113.7", "source": "your-device"},
        {
            "category": "credit-card-details",
            "value": "Visa ending 4242, expires 09/28",
            "details": {"brand": "Visa", "last4": "4242", "exp_month": 9, "exp_year": 2028},
            "collected_at": "2026-02-01",
        },
        {
            "category": "shipping-address",
            "details": {
                "line1": "1 Ferry Bldg",
                "city": "San Francisco",
                "state": "CA",
                "zip_code": "94111",
            },
        },
    ],  # fmt: skip
    "orders": [
        {
            "order_number": "DP-2001-1",
            "placed_at": "2025-12-20T18:00:00Z",
            "items": ["Men's Oxford Dress Shoes, size 10", "Unisex Fuzzy House Slippers, size 9"],
            "total": "64.98",
        },
        {
            "order_number": "DP-2001-2",
            "placed_at": "2026-06-02",
            "items": "Women's Knee-High Riding Boots, size 8",
            "total": 69.99,
        },
    ],
}


# The shop's export these rows come from was taken on 18 November 2026: imported any earlier,
# its orders of September would be in the future, and refused as such.
EXPORT_TAKEN_AT = datetime(2026, 11, 18, 12, tzinfo=ZoneInfo("America/Los_Angeles"))


@pytest.fixture(autouse=True)
def _imported_after_the_export_was_taken(time_machine):
    time_machine.move_to(EXPORT_TAKEN_AT)  # ticking


@pytest.fixture(autouse=True)
def _inventory():
    factories.inventory()


def write_csv(path: Path, rows: list[dict], columns: list[str] = CSV_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, consumers: list) -> Path:
    path.write_text(json.dumps(consumers, indent=2), encoding="utf-8")
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_consumers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def records_of(consumer: Consumer, category: str) -> list[PersonalRecord]:
    return list(consumer.records.filter(category__slug=category).order_by("value"))


def test_csv_import_creates_consumers_with_normalized_email_phone_and_address(tmp_path):
    out, err = run_import(write_csv(tmp_path / "customers.csv", [ALICE, BEN]))

    assert "customers.csv: 2 created, 0 updated, 0 unchanged, 0 rejected." in out
    assert err == ""
    alice = Consumer.objects.get(shop_customer_id="C-1001")
    assert alice.email == "alice.alvarez@example.com"
    assert alice.phone == "+14155550123"
    assert str(alice.birth_date) == "1988-02-29"
    [address] = records_of(alice, "shipping-address")
    assert address.value == "12 Mission St, Apt 4, San Francisco, CA 94105"
    assert address.details == {
        "line1": "12 Mission St",
        "line2": "Apt 4",
        "city": "San Francisco",
        "state": "CA",
        "zip_code": "94105",
    }
    assert address.data_system.slug == "shop-database"
    assert address.source.slug == "directly-from-you"
    assert address.collected_at.date().isoformat() == "2026-03-14"
    assert [r.value for r in records_of(alice, "email-address")] == ["alice.alvarez@example.com"]
    assert [r.value for r in records_of(alice, "telephone-number")] == ["+14155550123"]
    assert [r.value for r in records_of(alice, "name")] == ["Alice Alvarez"]
    [order] = alice.orders.all()
    assert (order.order_number, str(order.total)) == ("DP-1001-1", "32.99")

    ben = Consumer.objects.get(shop_customer_id="C-1002")
    assert ben.phone == ""
    assert records_of(ben, "telephone-number") == []
    assert records_of(ben, "shipping-address")[0].details["zip_code"] == "78701"


def test_json_import_creates_nested_records_and_orders_in_the_shop_database(tmp_path):
    out, _ = run_import(write_json(tmp_path / "customers.json", [CAROL]))

    assert "1 created" in out
    carol = Consumer.objects.get(shop_customer_id="C-2001")
    assert (carol.email, carol.phone) == ("carol@example.net", "+12125550188")
    [ip] = records_of(carol, "ip-address")
    assert (ip.value, ip.source.slug, ip.data_system.slug) == (
        "203.0.113.7",
        "your-device",
        "shop-database",
    )
    assert ip.collected_at.isoformat() == "2026-01-05T09:30:00+00:00"  # the row's collected_at
    [card] = records_of(carol, "credit-card-details")
    assert card.details["last4"] == "4242"
    addresses = records_of(carol, "shipping-address")
    assert [a.details["zip_code"] for a in addresses] == ["94111", "10013"]
    assert addresses[0].value == "1 Ferry Bldg, San Francisco, CA 94111"
    orders = {o.order_number: o for o in carol.orders.all()}
    assert orders["DP-2001-1"].items == (
        "Men's Oxford Dress Shoes, size 10; Unisex Fuzzy House Slippers, size 9"
    )
    assert str(orders["DP-2001-2"].total) == "69.99"


def test_json_file_may_wrap_the_list_in_a_consumers_key(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"consumers": [CAROL]}), encoding="utf-8")

    out, _ = run_import(path)

    assert "1 created" in out


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("twice.csv", lambda p: write_csv(p, [ALICE, BEN])),
        ("twice.json", lambda p: write_json(p, [CAROL])),
    ],
)
def test_importing_the_same_file_twice_creates_nothing_new_and_reports_unchanged(
    tmp_path, name, write
):
    path = write(tmp_path / name)
    run_import(path)
    counts = (Consumer.objects.count(), PersonalRecord.objects.count(), Order.objects.count())
    stamps = list(Consumer.objects.order_by("pk").values_list("updated_at", flat=True))

    out, err = run_import(path)

    consumers = Consumer.objects.count()
    assert f"0 created, 0 updated, {consumers} unchanged, 0 rejected." in out
    assert err == ""
    assert (consumers, PersonalRecord.objects.count(), Order.objects.count()) == counts
    assert list(Consumer.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_a_changed_row_updates_the_consumer_and_replaces_the_old_address(tmp_path):
    run_import(write_csv(tmp_path / "first.csv", [ALICE]))
    alice = Consumer.objects.get(shop_customer_id="C-1001")
    factories.PersonalRecordFactory(
        consumer=alice,
        category=factories.CategoryFactory(slug="ip-address"),
        value="198.51.100.20",
        source=factories.SourceFactory(slug="your-device"),
        data_system=factories.DataSystemFactory(slug="site-analytics"),
    )
    moved = ALICE | {"address_line1": "400 Oak St", "address_line2": "", "zip_code": "94102"}

    out, _ = run_import(write_csv(tmp_path / "second.csv", [moved]))

    assert "0 created, 1 updated, 0 unchanged" in out
    [address] = records_of(alice, "shipping-address")
    assert address.value == "400 Oak St, San Francisco, CA 94102"
    # What the row says nothing about stays: the import never deletes by omission.
    assert [r.value for r in records_of(alice, "ip-address")] == ["198.51.100.20"]
    assert alice.orders.count() == 1


def test_an_empty_phone_cell_leaves_the_phone_on_file(tmp_path):
    run_import(write_csv(tmp_path / "first.csv", [ALICE]))

    out, _ = run_import(write_csv(tmp_path / "second.csv", [ALICE | {"phone": ""}]))

    assert "1 unchanged" in out
    alice = Consumer.objects.get(shop_customer_id="C-1001")
    assert alice.phone == "+14155550123"
    assert [r.value for r in records_of(alice, "telephone-number")] == ["+14155550123"]


def test_bad_rows_are_rejected_with_their_reasons_while_good_rows_load(tmp_path):
    rows = [
        ALICE,  # row 2 (line 1 is the header)
        BEN | {"customer_id": ""},  # row 3
        BEN | {"customer_id": "C-3", "email": "bob@"},  # row 4
        BEN | {"customer_id": "C-4", "phone": "555-12"},  # row 5
        BEN | {"customer_id": "C-5", "birth_date": "1990-13-01"},  # row 6
        BEN | {"customer_id": "C-6", "collected_at": "last tuesday"},  # row 7
        BEN | {"customer_id": "C-7", "zip_code": "ABCDE"},  # row 8
        BEN,  # row 9
    ]

    out, err = run_import(write_csv(tmp_path / "mixed.csv", rows))

    assert "mixed.csv: 2 created, 0 updated, 0 unchanged, 6 rejected." in out
    assert err.splitlines() == [
        "row 3: customer_id is missing",
        "row 4: email 'bob@' is not an email address",
        "row 5: phone '555-12' is not a valid phone number",
        "row 6: birth_date '1990-13-01' is not a date (expected YYYY-MM-DD)",
        "row 7: collected_at 'last tuesday' is not a date "
        "(expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00)",
        "row 8: zip_code 'ABCDE' is not a US zip code (12345 or 12345-6789)",
    ]
    assert set(Consumer.objects.values_list("shop_customer_id", flat=True)) == {"C-1001", "C-1002"}


def test_json_rows_with_an_unknown_category_or_a_bad_order_are_rejected_and_write_nothing(
    tmp_path,
):
    unknown = CAROL | {
        "customer_id": "C-2002",
        "records": [{"category": "shoe-size", "value": "9"}],
    }
    bad_order = CAROL | {
        "customer_id": "C-2003",
        "orders": [{"order_number": "DP-9", "placed_at": "2026-02-30", "items": "x", "total": "1"}],
    }

    _, err = run_import(write_json(tmp_path / "bad.json", [unknown, bad_order, "not an object"]))

    assert err.splitlines() == [
        "row 1: record 1: category 'shoe-size' is not in the inventory",
        "row 2: order 1: placed_at '2026-02-30' is not a date "
        "(expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00)",
        "row 3: is not an object with a consumer's fields",
    ]
    assert not Consumer.objects.exists()


def test_a_full_card_number_is_never_imported(tmp_path):
    leaky = CAROL | {
        "records": [{"category": "credit-card-details", "value": "Visa 4242 4242 4242 4242"}]
    }

    _, err = run_import(write_json(tmp_path / "cards.json", [leaky]))

    assert "row 1: record 1 looks like it holds a full card number" in err
    assert not PersonalRecord.objects.filter(value__contains="4242 4242").exists()


def test_an_order_number_of_another_customer_rejects_the_whole_row(tmp_path):
    run_import(write_csv(tmp_path / "first.csv", [ALICE]))
    thief = BEN | {
        "order_number": "DP-1001-1",
        "order_placed_at": "2026-05-01",
        "order_items": "Slippers",
        "order_total": "5.00",
    }

    out, err = run_import(write_csv(tmp_path / "second.csv", [thief]))

    assert "1 rejected" in out
    assert err.strip() == "row 2: order 'DP-1001-1' belongs to another customer"
    # The row's own transaction rolled back: Ben was not created either.
    assert not Consumer.objects.filter(shop_customer_id="C-1002").exists()


def test_a_birth_date_of_tomorrow_in_california_is_refused_in_the_evening_when_utc_is_there():
    evening = datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    born_tomorrow = ALICE | {"birth_date": "2026-12-01"}

    with time_machine.travel(evening, tick=False):
        result = consumer_import(rows=[born_tomorrow], source_label="api")

    assert [str(r) for r in result.rejected] == [
        "row 1: birth_date '2026-12-01' is not a plausible date of birth"
    ]


def test_the_service_can_be_called_with_rows_directly():
    result = consumer_import(rows=[ALICE, {"full_name": "No Id"}], source_label="api")

    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert [str(r) for r in result.rejected] == ["row 2: customer_id is missing; email is missing"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("customers.json", "[{", "cannot read customers.json: not valid JSON (line 1, column 3"),
        ("customers.json", '{"a": 1}', 'expected a list of consumers or {"consumers": [...]}'),
        ("customers.csv", "id,name\n1,Al\n", "the header lacks column(s) customer_id, full_name"),
        ("customers.csv", "", "cannot read customers.csv: the file is empty"),
        ("customers.txt", "x", "use --format csv or --format json"),
    ],
)
def test_a_file_that_cannot_be_read_gives_one_clear_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        run_import(path)

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_file_exits_non_zero_with_one_line_and_no_traceback(tmp_path):
    missing = tmp_path / "nowhere.csv"

    done = subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "import_consumers", str(missing)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert done.stderr.strip() == f"CommandError: cannot read {missing}: no such file"


def test_a_file_in_another_format_can_be_named_with_format(tmp_path):
    path = write_json(tmp_path / "export.txt", [CAROL])

    out, _ = run_import(path, "--format", "json")

    assert "1 created" in out
