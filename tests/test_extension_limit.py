"""The longest extension the service allows is one the database accepts, at every hour of the
year, and one day more is refused with the officer's message, never a 500 (issue 10, item 3).

The database's check once compared UTC instants with `received_at + 91 days` while the service
counts local days: a request received between midnight and 1 a.m. during daylight time whose
90th day falls in standard time could be extended by the service to an instant the database
refused. Both now read the limit stored at receipt (`extension_limit_at`).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F

from core import legal_clock
from requests_app.models import PrivacyRequest, RequestType, Status
from requests_app.services.deadlines import (
    ExtensionRefused,
    extension_check,
    extension_latest_date,
    request_extend,
)
from requests_app.services.lifecycle import request_deadlines
from tests import factories
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
REASON = "Your records are held in several of our systems."
# Received 00:30 on 5 August (daylight time); the 90th day, 3 November, is in standard time.
AFTER_MIDNIGHT_IN_SUMMER = datetime(2026, 8, 5, 0, 30, tzinfo=LA)


def every_hour_of(year: int):
    """Each hour of the year in California, both 1 a.m.s of November included."""
    instant = legal_clock.start_of_day(date(year, 1, 1))
    end = legal_clock.start_of_day(date(year + 1, 1, 1))
    while instant < end:
        yield instant
        instant += timedelta(hours=1)


def a_request_received(received_at: datetime, n: int = 0) -> PrivacyRequest:
    """A request row as the lifecycle's first move builds it (request_deadlines), not yet saved."""
    return PrivacyRequest(
        reference=f"PR-{received_at:%Y}-{n:06d}",
        request_type=RequestType.KNOW_CATEGORIES,
        requested_type=RequestType.KNOW_CATEGORIES,
        requester_kind="self",
        status=Status.VERIFIED,
        requester_name="Dana Shopper",
        requester_email=f"dana{n}@example.com",
        received_at=received_at,
        **request_deadlines(received_at),
    )


def ninety_days_after_the_local_day_of(received_at: datetime) -> date:
    """The law's rule said independently of the code: 90 calendar days after the day of
    receipt in California (Civ. Code 1798.130(a)(2))."""
    return received_at.astimezone(LA).date() + timedelta(days=90)


def refusal_of(privacy_request: PrivacyRequest, new_due_date: date) -> str | None:
    soon_after = privacy_request.received_at + timedelta(hours=1)
    try:
        extension_check(privacy_request, new_due_date=new_due_date, now=soon_after)
    except ExtensionRefused as refusal:
        return str(refusal)
    return None


@pytest.mark.parametrize("year", [2026, 2028])  # an ordinary year and a leap year
def test_the_longest_extension_is_accepted_and_one_day_more_refused_at_every_hour(year):
    """Every hour of the year: the service allows the 90th local day and refuses the 91st with
    the officer's message, and the database accepts the instant the service stores for it
    (request_extend stores the end of the day, as the test below checks on the full path)."""
    wrong = []
    extended = []
    for n, received_at in enumerate(every_hour_of(year)):
        privacy_request = a_request_received(received_at, n)
        latest = ninety_days_after_the_local_day_of(received_at)
        if extension_latest_date(privacy_request) != latest:
            wrong.append(f"{received_at}: the form offers {extension_latest_date(privacy_request)}")
        expected = f"at most 90 days from receipt: {latest:%-d %B %Y}."
        refusal = refusal_of(privacy_request, latest + timedelta(days=1))
        if refusal is None or expected not in refusal:
            wrong.append(f"{received_at}: one day more gave {refusal!r}")
        if (refusal := refusal_of(privacy_request, latest)) is not None:
            wrong.append(f"{received_at}: the maximum was refused: {refusal}")
        privacy_request.extended_due_at = legal_clock.end_of_day(latest)
        privacy_request.extension_reason = REASON
        privacy_request.extended_at = received_at + timedelta(hours=1)
        extended.append(privacy_request)
    assert wrong == []
    assert len(extended) == (8784 if year == 2028 else 8760)

    # One INSERT per 500 rows; the check `extension_within_ninety_days` reads every row.
    PrivacyRequest.objects.bulk_create(extended, batch_size=500)

    assert PrivacyRequest.objects.filter(extended_due_at__isnull=False).count() == len(extended)


def hours_that_matter() -> list[datetime]:
    """00:30 on every day of 2026 (the hour the database once disagreed), and every hour of
    the days clocks change and of 29 February 2028."""
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    instants = [datetime.combine(day, time(0, 30), tzinfo=LA) for day in days]
    for day in (date(2026, 3, 8), date(2026, 11, 1), date(2028, 2, 29), date(2028, 11, 5)):
        start = legal_clock.start_of_day(day)
        instants += [start + timedelta(hours=h) for h in range(25)]
    return instants


def test_request_extend_stores_the_longest_extension_for_a_request_received_at_any_hour():
    """The full path (lock, save, history, the consumer's email) at the hours that matter: an
    IntegrityError here is the 500 the officer used to see."""
    requests = PrivacyRequest.objects.bulk_create(
        a_request_received(instant, n) for n, instant in enumerate(hours_that_matter())
    )

    wrong = []
    for privacy_request in requests:
        latest = ninety_days_after_the_local_day_of(privacy_request.received_at)
        extended = request_extend(
            privacy_request=privacy_request,
            actor=None,
            new_due_date=latest,
            reason=REASON,
            now=privacy_request.received_at + timedelta(hours=1),
        )
        if extended.extended_due_at != legal_clock.end_of_day(latest):
            wrong.append(f"{privacy_request.received_at}: stored {extended.extended_due_at}")

    assert wrong == []
    extended_rows = PrivacyRequest.objects.filter(extended_due_at=F("extension_limit_at"))
    assert extended_rows.count() == len(requests)


def test_the_database_refuses_an_extension_past_the_stored_limit_by_a_microsecond():
    from django.db import IntegrityError, transaction

    request = factories.PrivacyRequestFactory.create(received_at=AFTER_MIDNIGHT_IN_SUMMER)
    assert request.extension_limit_at == legal_clock.end_of_day(date(2026, 11, 3))
    limit_reached = PrivacyRequest.objects.filter(pk=request.pk)

    limit_reached.update(extended_due_at=request.extension_limit_at, extension_reason=REASON)
    with pytest.raises(IntegrityError), transaction.atomic():
        limit_reached.update(extended_due_at=request.extension_limit_at + timedelta(microseconds=1))


def staff_extends(client, privacy_request, new_due_date: date):
    return client.post(
        f"/staff/requests/{privacy_request.reference}/extend/",
        {"extend-new_due_date": new_due_date.isoformat(), "extend-reason": REASON},
    )


def test_the_officer_extends_a_request_received_after_midnight_in_summer_to_the_maximum():
    officer = staff_in_role("Privacy officer")
    request = factories.PrivacyRequestFactory.create(
        received_at=AFTER_MIDNIGHT_IN_SUMMER, status=Status.VERIFIED
    )

    with time_machine.travel(datetime(2026, 8, 20, 10, tzinfo=LA)):
        client = signed_in(officer)  # now: a session from another day has expired
        one_day_more = staff_extends(client, request, date(2026, 11, 4))
        mistyped = staff_extends(client, request, date(9999, 12, 31))  # no instant in UTC
        to_the_maximum = staff_extends(client, request, date(2026, 11, 3))

    for refused in (one_day_more, mistyped):
        assert refused.status_code == 400
        assert "at most 90 days from receipt: 3 November 2026." in refused.text
    assert to_the_maximum.status_code == 302
    request.refresh_from_db()
    assert request.extended_due_at == legal_clock.end_of_day(date(2026, 11, 3))


# Before officer_client signs in: a session from another day has expired.
@pytest.mark.time_machine(datetime(2026, 8, 20, 10, tzinfo=LA))
def test_the_admins_extension_form_offers_the_maximum_the_database_accepts(officer_client):
    request = factories.PrivacyRequestFactory.create(
        received_at=AFTER_MIDNIGHT_IN_SUMMER, status=Status.VERIFIED
    )
    url = f"/admin/requests_app/privacyrequest/{request.pk}/extend/"

    form = officer_client.get(url)
    extended = officer_client.post(url, {"new_due_date": "2026-11-03", "reason": REASON})

    assert form.status_code == 200
    assert "3 November 2026" in form.text
    assert extended.status_code == 302
    request.refresh_from_db()
    assert request.extended_due_at == request.extension_limit_at
