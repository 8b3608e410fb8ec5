"""Personas and helpers for the opt-out, GPC and preferences tests (tests/test_opt_out*.py,
tests/test_gpc*.py, tests/test_preferences.py). Built on tests/factories.py."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from consent.models import ConsentSource, SaleStatus
from consent.services import sale_opt_out
from core import legal_clock
from registry.models import Consumer
from tests import factories

GPC = {"Sec-GPC": "1"}


def born_years_ago(years: int, *, days_later: int = 0) -> date:
    """A birth date that makes someone exactly `years` old today in the business's time zone
    (`days_later` days younger than that)."""
    today = legal_clock.local_date(timezone.now())
    birthday = legal_clock.add_months(today, -12 * years)
    return birthday + timedelta(days=days_later)


def adult(**fields) -> Consumer:
    return factories.consumer(birth_date=born_years_ago(30), **fields)


def minor(age: int, **fields) -> Consumer:
    """A consumer aged `age` today (their birthday was a few days ago)."""
    return factories.consumer(birth_date=born_years_ago(age, days_later=-3), **fields)


def minor_with_account(age: int, **fields) -> Consumer:
    return factories.consumer_with_account(birth_date=born_years_ago(age, days_later=-3), **fields)


def opted_out(consumer: Consumer | None = None, **fields) -> Consumer:
    person = consumer or adult(**fields)
    sale_opt_out(consumer=person, source=ConsentSource.WEB_FORM)
    return person


def status_of(consumer: Consumer) -> SaleStatus:
    return SaleStatus.objects.get(consumer=consumer)


def privacy_officer_with_email(username: str = "officer", email: str = "officer@example.com"):
    officer = factories.privacy_officer(username)
    officer.email = email
    officer.save(update_fields=["email"])
    return officer


def sign_in_with_second_factor(client, user):
    """Signed in as staff with a verified second factor, as the OTP admin requires."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def staff_without_second_factor(username: str = "no-otp"):
    return get_user_model().objects.create_user(
        username, f"{username}@example.com", factories.PASSWORD, is_staff=True, is_superuser=True
    )
