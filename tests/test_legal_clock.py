"""The legal clock: every date of DESIGN.md's rules table, counted as courts count periods."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import legal_clock as clock

LA = ZoneInfo("America/Los_Angeles")


def at(year, month, day, hour=10, minute=0):
    """An instant given as a wall-clock time in Los Angeles."""
    return datetime(year, month, day, hour, minute, tzinfo=LA)


def end_of(year, month, day):
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=LA)


# Receipt on Wednesday 25 November 2026, the day before Thanksgiving: Thursday 26 (Thanksgiving)
# and Friday 27 (the day after, a California holiday) are not business days, nor the weekend.
THANKSGIVING_EVE = at(2026, 11, 25)


def test_acknowledgment_is_due_ten_business_days_after_thanksgiving_eve():
    assert clock.acknowledge_by(THANKSGIVING_EVE) == end_of(2026, 12, 11)


def test_response_is_due_thirty_calendar_days_after_receipt_even_on_christmas():
    assert clock.respond_by(THANKSGIVING_EVE) == end_of(2026, 12, 25)


def test_an_extension_reaches_at_most_ninety_days_from_receipt():
    assert clock.latest_extended_response(THANKSGIVING_EVE) == end_of(2027, 2, 23)


def test_opt_out_takes_effect_within_fifteen_business_days():
    assert clock.opt_out_effective_by(THANKSGIVING_EVE) == end_of(2026, 12, 18)


def test_marketing_opt_out_takes_effect_within_five_business_days():
    assert clock.marketing_preference_effective_by(THANKSGIVING_EVE) == end_of(2026, 12, 4)


def test_the_receipt_day_never_counts_even_when_received_at_one_minute_past_midnight():
    early = at(2026, 11, 2, 0, 1)
    late = at(2026, 11, 2, 23, 59)

    assert clock.respond_by(early) == clock.respond_by(late) == end_of(2026, 12, 2)


def test_receipt_date_is_the_business_time_zone_date_not_utc():
    # 03:00 UTC on 26 November is still the evening of 25 November in California.
    received = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

    assert clock.local_date(received) == date(2026, 11, 25)
    assert clock.respond_by(received) == end_of(2026, 12, 25)


def test_deadline_is_stored_as_the_utc_instant_at_the_end_of_the_local_day():
    due = clock.respond_by(THANKSGIVING_EVE)

    assert due.tzinfo == UTC
    assert due == datetime(2026, 12, 26, 7, 59, 59, 999999, tzinfo=UTC)  # PST is UTC-8


def test_deadline_across_the_spring_dst_change_ends_at_local_midnight_in_daylight_time():
    # DST begins on 8 March 2026; the due date, 6 April, is in daylight time (UTC-7).
    due = clock.respond_by(at(2026, 3, 7))

    assert due == datetime(2026, 4, 7, 6, 59, 59, 999999, tzinfo=UTC)


def test_deadline_across_the_autumn_dst_change_ends_at_local_midnight_in_standard_time():
    # DST ends on 1 November 2026, the due date itself.
    due = clock.respond_by(at(2026, 10, 2))

    assert due == datetime(2026, 11, 2, 7, 59, 59, 999999, tzinfo=UTC)


def test_business_days_across_the_year_end_skip_christmas_and_new_year():
    assert clock.acknowledge_by(at(2026, 12, 20)) == end_of(2027, 1, 5)
    assert clock.respond_by(at(2026, 12, 20)) == end_of(2027, 1, 19)


def test_business_days_skip_california_state_holidays():
    # Cesar Chavez Day, 31 March, is a California holiday but not a federal one.
    assert not clock.is_business_day(date(2026, 3, 31))
    assert clock.marketing_preference_effective_by(at(2026, 3, 30)) == end_of(2026, 4, 7)


def test_business_days_follow_the_holiday_settings(settings):
    settings.HOLIDAY_SUBDIVISION = "NY"

    assert clock.is_business_day(date(2026, 3, 31))


def test_the_numbers_are_settings(settings):
    settings.RESPOND_WITHIN_DAYS = 45

    assert clock.respond_by(THANKSGIVING_EVE) == end_of(2027, 1, 9)


def test_reauthorization_may_be_asked_no_sooner_than_twelve_months_after_the_opt_out():
    assert clock.reauthorization_ask_from(at(2026, 11, 25, 15)) == datetime(
        2027, 11, 25, 0, 0, tzinfo=LA
    )


def test_twelve_months_after_a_leap_day_is_the_last_day_of_february():
    assert clock.add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)


def test_request_records_are_kept_twenty_four_months_after_the_answer():
    answered = at(2026, 11, 25, 15)

    assert answered >= clock.request_records_purge_before(at(2028, 11, 25, 23, 59))
    assert answered < clock.request_records_purge_before(at(2028, 11, 26, 0, 1))


def test_a_saved_card_is_kept_one_year():
    collected = at(2026, 11, 25, 15)

    assert collected >= clock.kept_until_passed(now=at(2027, 11, 25, 23, 59), days=365)
    assert collected < clock.kept_until_passed(now=at(2027, 11, 26, 0, 1), days=365)


def test_know_report_covers_the_twelve_months_before_receipt():
    assert clock.know_report_lookback_start(THANKSGIVING_EVE) == datetime(
        2025, 11, 25, 0, 0, tzinfo=LA
    )


def test_a_period_of_zero_business_days_is_refused():
    with pytest.raises(ValueError, match="at least one day"):
        clock.add_business_days(date(2026, 11, 25), 0)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2099, 12, 31),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, LA, ZoneInfo("Asia/Tokyo"), ZoneInfo("Pacific/Kiritimati")]
        ),
    )
)
def test_due_date_is_thirty_calendar_days_after_the_receipt_date_in_the_business_zone(received):
    due = clock.respond_by(received).astimezone(LA)
    receipt_day = received.astimezone(LA).date()

    assert due.date() == receipt_day + timedelta(days=30)
    assert (due.hour, due.minute, due.second, due.microsecond) == (23, 59, 59, 999999)
    assert clock.respond_by(received) > received


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)), st.integers(1, 30))
def test_business_day_periods_end_on_a_business_day_with_exactly_n_business_days(start, days):
    end = clock.add_business_days(start, days)
    counted = sum(
        clock.is_business_day(start + timedelta(days=offset))
        for offset in range(1, (end - start).days + 1)
    )

    assert clock.is_business_day(end)
    assert counted == days
