"""Records and metrics (11 CCR 7102): the staff page, its CSV and its chart.

The dataset below is built by hand; every expected figure is worked out in the comments.
Dates are California dates (the business's time zone), so a request made on New Year's Eve at
11 pm in California counts in the old year although it is already 1 January in UTC.
"""

import csv
import io
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app.models import (
    DeletionException,
    DenialReason,
    Outcome,
    PrivacyRequest,
    RequestType,
    Status,
)
from tests import factories
from tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

CALIFORNIA = ZoneInfo("America/Los_Angeles")
KNOW_CATEGORIES = RequestType.KNOW_CATEGORIES
KNOW_SPECIFIC = RequestType.KNOW_SPECIFIC
DELETE = RequestType.DELETE


def california(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CALIFORNIA)


def answered(
    request_type,
    received,
    responded,
    outcome,
    *,
    reason="",
    requested_type=None,
    exception="",
) -> PrivacyRequest:
    return PrivacyRequestFactory.create(
        request_type=request_type,
        requested_type=requested_type or request_type,
        received_at=received,
        responded_at=responded,
        status=Status.DENIED if outcome == Outcome.DENIED else Status.FULFILLED,
        outcome=outcome,
        denial_reason=reason,
        denial_exception=exception,
    )


def unanswered(request_type, received, status, **fields) -> PrivacyRequest:
    return PrivacyRequestFactory.create(
        request_type=request_type, received_at=received, status=status, **fields
    )


@pytest.fixture
def dataset():
    """Twelve requests over 2025 and 2026.

    2026, know categories (3 received, all answered):
      #1  5 Jan -> 15 Jan, in whole ......................................... 10 days
      #2  31 Jan 23:30 (1 Feb in UTC) -> 20 Feb, in part .................... 20 days
      #3  asked for specific pieces, answered as categories:
          2 Mar -> 31 Mar 23:30 (1 Apr in UTC), in whole ..................... 29 days
          median of 10, 20, 29 = 20; mean 59 / 3 = 19.67 -> 19.7
    2026, know specific (2 received):
      #4  10 Feb -> 5 Mar, denied: not verified ............................. 23 days
      #5  1 Jun, still open (verifying)
          median 23; mean 23.0
    2026, delete (4 received):
      #6  10 Mar -> 8 Apr, denied: an exception (legal obligation) .......... 29 days
      #7  1 Apr, withdrawn
      #8  15 Apr, still open (waiting for the consumer's final confirmation)
      #9  4 May -> 18 May, in whole ......................................... 14 days
          median of 14, 29 = 21.5; mean 21.5
    2026, all types: 9 received, 6 answered, 1 withdrawn, 2 open; days 10 14 20 23 29 29:
          median (20 + 23) / 2 = 21.5; mean 125 / 6 = 20.83 -> 20.8

    2025, know categories: #10 10 Jun -> 1 Jul, denied: no data ............ 21 days
    2025, know specific: nothing (zeros, and no median or mean)
    2025, delete:
      #11 31 Dec 2025 23:00 (1 Jan 2026 in UTC) -> 9 Jan 2026, in whole ....... 9 days
      #12 3 Nov, closed: email never confirmed
    2025, all types: 3 received, 2 answered; days 9, 21: median 15, mean 15.0
    """
    answered(KNOW_CATEGORIES, california(2026, 1, 5), california(2026, 1, 15), "complied_whole")
    answered(
        KNOW_CATEGORIES, california(2026, 1, 31, 23, 30), california(2026, 2, 20), "complied_part"
    )
    answered(
        KNOW_CATEGORIES,
        california(2026, 3, 2),
        california(2026, 3, 31, 23, 30),
        Outcome.COMPLIED_WHOLE,
        requested_type=KNOW_SPECIFIC,
    )
    answered(
        KNOW_SPECIFIC,
        california(2026, 2, 10),
        california(2026, 3, 5),
        Outcome.DENIED,
        reason=DenialReason.NOT_VERIFIED,
    )
    unanswered(KNOW_SPECIFIC, california(2026, 6, 1), Status.VERIFYING)
    answered(
        DELETE,
        california(2026, 3, 10),
        california(2026, 4, 8),
        Outcome.DENIED,
        reason=DenialReason.EXCEPTION,
        exception=DeletionException.LEGAL_OBLIGATION,
    )
    unanswered(
        DELETE, california(2026, 4, 1), Status.WITHDRAWN, withdrawn_at=california(2026, 4, 3)
    )
    unanswered(DELETE, california(2026, 4, 15), Status.AWAITING_DELETE_CONFIRMATION)
    answered(DELETE, california(2026, 5, 4), california(2026, 5, 18), Outcome.COMPLIED_WHOLE)

    answered(
        KNOW_CATEGORIES,
        california(2025, 6, 10),
        california(2025, 7, 1),
        Outcome.DENIED,
        reason=DenialReason.NO_DATA,
    )
    answered(DELETE, california(2025, 12, 31, 23, 0), california(2026, 1, 9), "complied_whole")
    unanswered(
        DELETE,
        california(2025, 11, 3),
        Status.CLOSED_UNCONFIRMED,
        closed_at=california(2025, 12, 3),
    )


# --- Clients for each role ----------------------------------------------------------------


def _verified_client(client, user):
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def _member_of(role: str, username: str):
    user = factories.staff_member(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def auditor_client(client):
    return _verified_client(client, _member_of("Auditor", "auditor"))


@pytest.fixture
def care_client(client):
    return _verified_client(client, _member_of("Customer care", "care-rep"))


# --- Reading the page ---------------------------------------------------------------------


class _Cells(HTMLParser):
    """Collects the page's figure cells (data-type, data-figure) and the monthly table's rows."""

    def __init__(self):
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.bars: dict[str, tuple[int, int]] = {}
        self.month_rows: dict[str, list[str]] = {}
        self._cell: tuple[str, str] | None = None
        self._month: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "td" and "data-figure" in found:
            self._cell = (found["data-type"] or "", found["data-figure"] or "")
            self._text = []
        elif tag == "g" and "data-month" in found:
            self.bars[found["data-month"] or ""] = (
                int(found["data-received"] or 0),
                int(found["data-answered"] or 0),
            )
        elif tag == "tr" and "data-month" in found:
            self._month = found["data-month"]
            self.month_rows[self._month or ""] = []
        elif tag == "td" and self._month:
            self._text = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell:
            self.cells[self._cell] = "".join(self._text).strip()
            self._cell = None
        elif tag == "td" and self._month:
            self.month_rows[self._month].append("".join(self._text).strip())
        elif tag == "tr":
            self._month = None

    def handle_data(self, data):
        self._text.append(data)


def read_page(response) -> _Cells:
    parser = _Cells()
    parser.feed(response.content.decode())
    return parser


def figures_of(cells: _Cells, request_type: str) -> dict[str, str]:
    return {figure: value for (kind, figure), value in cells.cells.items() if kind == request_type}


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- The figures --------------------------------------------------------------------------


def test_page_shows_each_types_figures_for_requests_received_in_the_year(officer_client, dataset):
    response = officer_client.get("/staff/metrics/?year=2026")

    assert response.status_code == 200
    cells = read_page(response)
    assert figures_of(cells, "know_categories") == {
        "received": "3",
        "complied_whole": "2",
        "complied_part": "1",
        "denied": "0",
        "denied_not_verified": "0",
        "denied_no_data": "0",
        "denied_exception": "0",
        "denied_over_cap": "0",
        "denied_fraud": "0",
        "withdrawn_or_unconfirmed": "0",
        "still_open": "0",
        "answered": "3",
        "median_days": "20",
        "mean_days": "19.7",
    }
    know_specific = figures_of(cells, "know_specific")
    assert know_specific["received"] == "2"
    assert know_specific["denied"] == "1"
    assert know_specific["denied_not_verified"] == "1"
    assert know_specific["still_open"] == "1"
    assert (know_specific["median_days"], know_specific["mean_days"]) == ("23", "23.0")
    delete = figures_of(cells, "delete")
    assert delete["received"] == "4"
    assert delete["complied_whole"] == "1"
    assert delete["denied"] == "1"
    assert delete["denied_exception"] == "1"
    assert delete["withdrawn_or_unconfirmed"] == "1"
    assert delete["still_open"] == "1"
    assert delete["answered"] == "2"
    assert (delete["median_days"], delete["mean_days"]) == ("21.5", "21.5")
    everything = figures_of(cells, "all")
    assert everything["received"] == "9"
    assert everything["answered"] == "6"
    assert everything["withdrawn_or_unconfirmed"] == "1"
    assert everything["still_open"] == "2"
    assert (everything["median_days"], everything["mean_days"]) == ("21.5", "20.8")


def test_request_made_on_new_years_eve_in_california_counts_in_the_old_year(
    officer_client, dataset
):
    cells = read_page(officer_client.get("/staff/metrics/?year=2025"))

    delete = figures_of(cells, "delete")
    assert delete["received"] == "2"  # New Year's Eve 23:00 and the unconfirmed one
    assert delete["complied_whole"] == "1"
    assert delete["withdrawn_or_unconfirmed"] == "1"
    assert (delete["median_days"], delete["mean_days"]) == ("9", "9.0")
    know_categories = figures_of(cells, "know_categories")
    assert know_categories["denied_no_data"] == "1"
    assert (know_categories["median_days"], know_categories["mean_days"]) == ("21", "21.0")
    everything = figures_of(cells, "all")
    assert (everything["received"], everything["answered"]) == ("3", "2")
    assert (everything["median_days"], everything["mean_days"]) == ("15", "15.0")


def test_type_without_answered_requests_shows_no_median_or_mean(officer_client, dataset):
    cells = read_page(officer_client.get("/staff/metrics/?year=2025"))

    know_specific = figures_of(cells, "know_specific")
    assert know_specific["received"] == "0"
    assert know_specific["median_days"].startswith("—")
    assert know_specific["mean_days"].startswith("—")


def test_specific_request_answered_as_categories_counts_as_categories(officer_client):
    answered(
        KNOW_CATEGORIES,
        california(2026, 3, 2),
        california(2026, 3, 12),
        Outcome.COMPLIED_WHOLE,
        requested_type=KNOW_SPECIFIC,
    )

    cells = read_page(officer_client.get("/staff/metrics/?year=2026"))

    assert figures_of(cells, "know_categories")["received"] == "1"
    assert figures_of(cells, "know_specific")["received"] == "0"


def test_page_states_the_definitions_in_its_footnote(officer_client, dataset):
    response = officer_client.get("/staff/metrics/?year=2026")

    text = response.content.decode()
    assert "How these figures are counted" in text
    assert "calendar year in which it was received" in text
    assert "America/Los_Angeles" in text
    assert "type as finally answered" in text
    assert "Calendar days from the date of receipt to the date of the response" in text
    assert "Only answered requests count in the median and the mean" in text
    assert "count as received but not as answered" in text


# --- The CSV ------------------------------------------------------------------------------


def test_csv_has_a_header_and_one_row_per_type_with_the_pages_figures(officer_client, dataset):
    response = officer_client.get("/staff/metrics.csv?year=2026")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        response["Content-Disposition"] == 'attachment; filename="privacy-request-metrics-2026.csv"'
    )
    header = response.content.decode().splitlines()[0]
    assert header.startswith("Year,Request type,Type code,Received,Complied with in whole")
    rows = {row["Type code"]: row for row in read_csv(response)}
    assert list(rows) == ["know_categories", "know_specific", "delete"]
    assert rows["know_categories"]["Year"] == "2026"
    assert rows["know_categories"]["Received"] == "3"
    assert rows["know_categories"]["Complied with in whole"] == "2"
    assert rows["know_categories"]["Complied with in part"] == "1"
    assert rows["know_categories"]["Median days to respond"] == "20"
    assert rows["know_categories"]["Mean days to respond"] == "19.7"
    assert rows["know_specific"]["Denied"] == "1"
    assert rows["know_specific"]["Denied: Identity not verified"] == "1"
    assert rows["know_specific"]["Still open"] == "1"
    assert rows["delete"]["Denied: Exception in the law"] == "1"
    assert rows["delete"]["Withdrawn or not confirmed"] == "1"
    assert rows["delete"]["Median days to respond"] == "21.5"
    assert rows["delete"]["Mean days to respond"] == "21.5"


def test_csv_leaves_median_and_mean_empty_when_nothing_was_answered(officer_client, dataset):
    rows = {
        row["Type code"]: row
        for row in read_csv(officer_client.get("/staff/metrics.csv?year=2025"))
    }

    assert rows["know_specific"]["Received"] == "0"
    assert rows["know_specific"]["Median days to respond"] == ""
    assert rows["know_specific"]["Mean days to respond"] == ""


def test_year_that_is_not_a_year_is_a_bad_request(officer_client):
    assert officer_client.get("/staff/metrics/?year=twenty").status_code == 400
    assert officer_client.get("/staff/metrics.csv?year=99999").status_code == 400


# --- The chart ----------------------------------------------------------------------------


def test_chart_shows_twelve_months_with_received_and_answered_counts(officer_client, dataset):
    cells = read_page(officer_client.get("/staff/metrics/?year=2026"))

    # Received by the month it arrived (31 Jan 23:30 is January in California); answered by
    # the month of the response, so New Year's Eve's deletion, answered 9 Jan, is January's.
    expected = {
        "2026-01": (2, 2),
        "2026-02": (1, 1),
        "2026-03": (2, 2),
        "2026-04": (2, 1),
        "2026-05": (1, 1),
        "2026-06": (1, 0),
        **{f"2026-{month:02d}": (0, 0) for month in range(7, 13)},
    }
    assert cells.bars == expected
    assert {month: tuple(int(n) for n in row) for month, row in cells.month_rows.items()} == (
        expected
    )


def test_chart_is_an_accessible_svg_without_inline_style_or_script(officer_client, dataset):
    response = officer_client.get("/staff/metrics/?year=2026")

    text = response.content.decode()
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert 'role="img"' in svg
    assert '<title id="chart-title">Requests received and answered per month, 2026</title>' in svg
    assert "9 requests were received and 7 were answered" in svg
    assert "style=" not in text
    assert "<script" not in text
    assert '<details class="chart-data">' in text  # the table fallback follows the chart


# --- The year selector --------------------------------------------------------------------


def test_page_defaults_to_this_year_in_california_and_offers_years_with_requests(client, dataset):
    # 00:30 on 1 January 2027 in California; in UTC it is already 08:30.
    with time_machine.travel(california(2027, 1, 1, 0, 30), tick=False):
        officer = _verified_client(client, factories.privacy_officer())
        response = officer.get("/staff/metrics/")

    text = response.content.decode()
    assert "Requests received in 2027" in text
    assert '<option value="2027" selected>2027</option>' in text
    assert '<option value="2026">2026</option>' in text
    assert '<option value="2025">2025</option>' in text
    assert '<option value="2024">' not in text


def test_default_year_is_californias_on_new_years_eve_late_evening(client):
    # 23:30 on 31 December in California is 07:30 on 1 January in UTC: still 2026 here.
    with time_machine.travel(california(2026, 12, 31, 23, 30), tick=False):
        officer = _verified_client(client, factories.privacy_officer())
        response = officer.get("/staff/metrics/")

    assert "Requests received in 2026" in response.content.decode()


# --- Cost ---------------------------------------------------------------------------------


def _requests(count: int) -> None:
    kinds = [KNOW_CATEGORIES, KNOW_SPECIFIC, DELETE]
    for index in range(count):
        received = california(2026, 1 + index % 12, 1 + index % 28)
        if index % 3:
            answered(
                kinds[index % 3],
                received,
                california(2026, 1 + index % 12, 1 + index % 28, 20),
                [Outcome.COMPLIED_WHOLE, Outcome.COMPLIED_PART, Outcome.DENIED][index % 3],
                reason=DenialReason.NO_DATA if index % 3 == 2 else "",
            )
        else:
            unanswered(kinds[index % 3], received, Status.VERIFYING)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/staff/metrics/?year=2026", "/staff/metrics.csv?year=2026"])
def test_query_count_does_not_grow_with_the_number_of_requests(officer_client, url):
    _requests(10)
    with_ten = _queries(officer_client, url)
    _requests(90)
    with_a_hundred = _queries(officer_client, url)

    assert with_ten == with_a_hundred
    assert PrivacyRequest.objects.count() == 100


# --- Who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/staff/metrics/", "/staff/metrics.csv"])
def test_auditor_can_read_the_metrics(auditor_client, url):
    assert auditor_client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/staff/metrics/", "/staff/metrics.csv"])
def test_privacy_officer_can_read_the_metrics(officer_client, url):
    assert officer_client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/staff/metrics/", "/staff/metrics.csv"])
def test_customer_care_is_refused_the_metrics(care_client, url):
    assert care_client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/staff/metrics/", "/staff/metrics.csv?year=2026"])
def test_anonymous_visitor_is_sent_to_staff_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/staff/sign-in/?next=")


@pytest.mark.parametrize("url", ["/staff/metrics/", "/staff/metrics.csv"])
def test_staff_without_a_verified_second_factor_is_sent_to_sign_in(client, url):
    client.force_login(_member_of("Auditor", "auditor"))

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/staff/sign-in/")
