"""Every legal date the portal keeps, computed in one place (DESIGN.md, "Rules with numbers").

How periods are counted, as courts count them: a period of N days or N business days starts on
the day after the receipt date (the receipt day itself never counts) and ends at the end of its
last day. Dates are days in the business's time zone (settings.TIME_ZONE); a deadline is stored
as the UTC instant at the very end of that day there, so "due on 25 December" means the consumer
can rely on the whole of 25 December in California, whatever the server's clock says.

Business days are Monday to Friday, less US federal and California state holidays (the
`holidays` package, `US(subdiv="CA")`). The numbers are settings, defaulting to the notice's
figures or the law's where it is stricter for the consumer.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

END_OF_DAY = time(23, 59, 59, 999999)


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(instant: datetime) -> date:
    """The calendar date of an instant in the business's time zone."""
    return instant.astimezone(business_zone()).date()


def today(now: datetime | None = None) -> date:
    """Today in the business's time zone: the "today" of every legal date and of every date a
    person types. Never `date.today()` (the server's zone) nor `timezone.now().date()` (UTC's,
    a day ahead every evening in California); `timezone.localdate()` follows the zone a request
    activated, which need not be the business's."""
    return local_date(now or timezone.now())


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in the business's time zone, in UTC."""
    local = datetime.combine(day, END_OF_DAY, tzinfo=business_zone())
    return local.astimezone(UTC)


def start_of_day(day: date) -> datetime:
    """The first instant of `day` in the business's time zone, in UTC."""
    return datetime.combine(day, time.min, tzinfo=business_zone()).astimezone(UTC)


def kept_until_passed(*, now: datetime, months: int = 0, days: int = 0) -> datetime:
    """The instant before which something dated must be, for a retention period of `months`
    months and `days` days counted from its date to have ended by now."""
    day = add_months(local_date(now), -months) - timedelta(days=days)
    return start_of_day(day)


@lru_cache(maxsize=64)
def _holidays_of(country: str, subdivision: str, year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(calendar.keys())


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in _holidays_of(settings.HOLIDAY_COUNTRY, settings.HOLIDAY_SUBDIVISION, day.year)


def add_calendar_days(start: date, days: int) -> date:
    """The last day of a period of `days` days that starts the day after `start`."""
    return start + timedelta(days=days)


def add_business_days(start: date, days: int) -> date:
    """The last day of a period of `days` business days that starts the day after `start`."""
    if days < 1:
        raise ValueError("a period has at least one day")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


def add_months(start: date, months: int) -> date:
    """The same day `months` later (the 29th of February becomes the 28th)."""
    return start + relativedelta(months=months)


# --- The rules table -------------------------------------------------------------------------


def acknowledge_by(received_at: datetime) -> datetime:
    """Acknowledge a request to know or delete within 10 business days (11 CCR 7021(a))."""
    return end_of_day(
        add_business_days(local_date(received_at), settings.ACKNOWLEDGE_WITHIN_BUSINESS_DAYS)
    )


def respond_by(received_at: datetime) -> datetime:
    """Respond within 30 calendar days of receipt, verified or not (the notice; the law: 45)."""
    return end_of_day(add_calendar_days(local_date(received_at), settings.RESPOND_WITHIN_DAYS))


def latest_extended_response(received_at: datetime) -> datetime:
    """An extension may push the answer to at most 90 days from receipt (Civ. Code
    1798.130(a)(2); the notice)."""
    return end_of_day(
        add_calendar_days(local_date(received_at), settings.EXTENDED_RESPONSE_MAX_DAYS)
    )


def opt_out_effective_by(received_at: datetime) -> datetime:
    """Stop selling within 15 business days of an opt-out at the latest (11 CCR 7026(f))."""
    return end_of_day(
        add_business_days(local_date(received_at), settings.OPT_OUT_WITHIN_BUSINESS_DAYS)
    )


def marketing_preference_effective_by(received_at: datetime) -> datetime:
    """A marketing email opt-out takes effect within 5 business days (the notice, "Email")."""
    return end_of_day(
        add_business_days(local_date(received_at), settings.MARKETING_OPT_OUT_BUSINESS_DAYS)
    )


def reauthorization_ask_from(opted_out_at: datetime) -> datetime:
    """The earliest the business may ask once whether the consumer will authorize sale again:
    12 months after the opt-out (Civ. Code 1798.135), from the start of that day."""
    return start_of_day(add_months(local_date(opted_out_at), settings.OPT_OUT_REASK_AFTER_MONTHS))


def request_records_purge_before(now: datetime) -> datetime:
    """Records of requests, and their history, are kept 24 months after the request was
    answered (or withdrawn, or closed), then purged (11 CCR 7101): those finished before the
    returned instant are purged now. One answered on 25 November 2026 is kept through 25 November
    2028, the whole of that day."""
    return kept_until_passed(now=now, months=settings.REQUEST_RECORD_RETENTION_MONTHS)


def know_report_lookback_start(received_at: datetime) -> datetime:
    """A report to know covers the 12 months before receipt (the notice)."""
    return start_of_day(add_months(local_date(received_at), -settings.KNOW_REPORT_LOOKBACK_MONTHS))
