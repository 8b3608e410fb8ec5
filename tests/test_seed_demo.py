"""Demo data and demo logins (seed_demo, demo_otp)."""

import ipaddress
import re
from datetime import datetime, timedelta
from io import StringIO

import phonenumbers
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import legal_clock
from registry.models import Consumer, DataSystem, Order, PersonalRecord
from requests_app.models import PrivacyRequest
from tests import factories

pytestmark = pytest.mark.django_db

DOCUMENTATION_NETWORKS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]


@pytest.fixture(autouse=True)
def _demo_settings(settings):
    settings.DEBUG = True  # both commands refuse to run without it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    factories.inventory()


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "consumers": Consumer.objects.count(),
        "records": PersonalRecord.objects.count(),
        "orders": Order.objects.count(),
        "users": get_user_model().objects.count(),
        "totp": TOTPDevice.objects.count(),
        "backup codes": StaticToken.objects.count(),
        "requests": PrivacyRequest.objects.count(),
    }


def test_seed_demo_twice_creates_everything_once_and_prints_the_logins_each_time():
    first = run("seed_demo")
    after_first = counts()

    second = run("seed_demo")

    assert counts() == after_first
    assert after_first["consumers"] == 50
    assert after_first["users"] == 4  # the consumer, the officer, care and the auditor
    assert after_first["backup codes"] == 15
    assert after_first["requests"] == 9
    assert "Demo consumers: 50 created, 0 already there." in first
    assert "Demo consumers: 0 created, 50 already there." in second
    for output in (first, second):
        assert "Demo logins" in output
        assert "demo@example.com" in output
        assert "demo-consumer-2026" in output
        assert "officer-demo-2026" in output
        assert "care-demo-2026" in output
        assert "python manage.py demo_otp officer" in output
        assert "otpauth://totp/" in output
        assert "backup code: officer1demo" in output


@pytest.mark.parametrize(
    "instant",
    [
        # 40 days before is 00:30 in daylight time: the demo's extended request then reaches
        # a 90th day in standard time (the database once refused it, and `make run` failed).
        "2026-12-01T23:30-08:00",
        "2026-03-08T01:30-08:00",  # half an hour before the clocks go forward
        "2026-03-08T03:30-07:00",  # and after
        "2026-11-01T01:30-07:00",  # the first half past one of the day the clocks go back
        "2026-11-01T01:30-08:00",  # and the second
        "2028-02-29T23:30-08:00",
    ],
)
def test_seed_demo_runs_whatever_the_hour_and_extends_its_request_to_the_legal_maximum(instant):
    with time_machine.travel(datetime.fromisoformat(instant)):
        run("seed_demo")

    assert PrivacyRequest.objects.count() == 9
    extended = PrivacyRequest.objects.get(extended_due_at__isnull=False)
    received_on = legal_clock.local_date(extended.received_at)
    assert legal_clock.local_date(extended.current_due_at) == received_on + timedelta(days=90)


def test_seeded_logins_have_their_roles_and_confirmed_second_factors():
    output = run("seed_demo")
    User = get_user_model()

    demo = User.objects.get(username="demo@example.com")
    assert demo.check_password("demo-consumer-2026")
    assert not demo.is_staff
    assert demo.consumer.full_name == "Dana Demo"
    assert demo.consumer.orders.count() == 4

    officer = User.objects.get(username="officer")
    care = User.objects.get(username="care")
    assert (officer.email, officer.is_staff, officer.is_superuser) == (
        "officer@example.com",
        True,
        True,
    )
    assert (care.email, care.is_staff, care.is_superuser) == ("care@example.com", True, False)
    assert officer.check_password("officer-demo-2026")
    assert care.check_password("care-demo-2026")
    for user in (officer, care):
        device = TOTPDevice.objects.get(user=user, name="demo authenticator")
        assert device.confirmed
        assert device.config_url in output
    backup = StaticDevice.objects.get(user=care, name="demo backup codes")
    assert backup.verify_token("care1demo")
    assert not backup.verify_token("care1demo")  # a backup code works once


def test_re_running_seed_demo_keeps_a_changed_password_and_restores_a_missing_device():
    run("seed_demo")
    officer = get_user_model().objects.get(username="officer")
    officer.set_password("my-own-passphrase")
    officer.save()
    TOTPDevice.objects.filter(user=officer).delete()

    run("seed_demo")

    officer.refresh_from_db()
    assert officer.check_password("my-own-passphrase")
    assert TOTPDevice.objects.get(user=officer, name="demo authenticator").confirmed


def test_demo_data_is_fictional_and_spread_over_two_years():
    run("seed_demo")
    now = timezone.now()

    consumers = list(Consumer.objects.all())
    domains = {c.email.rsplit("@", 1)[1] for c in consumers}
    assert domains <= {"example.com", "example.org", "example.net"}
    phones = [c.phone for c in consumers if c.phone]
    assert len(phones) > 30
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    assert all(re.fullmatch(r"\+1\d{3}55501\d\d", p) for p in phones)

    ips = PersonalRecord.objects.filter(category__slug="ip-address")
    assert ips.exists()
    for record in ips:
        assert any(ipaddress.ip_address(record.value) in n for n in DOCUMENTATION_NETWORKS)
        assert record.data_system.slug == "site-analytics"

    cards = PersonalRecord.objects.filter(category__slug="credit-card-details")
    assert cards.exists()
    for card in cards:
        assert not re.search(r"\d{5,}", card.value)
        assert set(card.details) == {"brand", "last4", "exp_month", "exp_year"}

    addresses = PersonalRecord.objects.filter(category__slug="shipping-address")
    in_california = sum(a.details["state"] == "CA" for a in addresses)
    assert in_california > addresses.count() / 2
    assert all(re.fullmatch(r"\d{5}", a.details["zip_code"]) for a in addresses)

    placed = list(Order.objects.values_list("placed_at", flat=True))
    assert min(placed) > now - timedelta(days=731)
    assert max(placed) < now
    assert max(placed) > now - timedelta(days=60)
    collected = list(PersonalRecord.objects.values_list("collected_at", flat=True))
    assert min(collected) > now - timedelta(days=731)
    assert any(c < now - timedelta(days=365) for c in collected)  # outside a know report's year
    for slug in factories.NOTICE_CATEGORIES:
        assert PersonalRecord.objects.filter(category__slug=slug).exists(), slug


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="runs only with DEBUG on"):
        run("seed_demo")

    assert not get_user_model().objects.filter(username="officer").exists()


def test_demo_otp_prints_the_code_the_officers_device_accepts():
    run("seed_demo")

    code = run("demo_otp", "officer").strip()

    assert re.fullmatch(r"\d{6}", code)
    device = TOTPDevice.objects.get(user__username="officer", name="demo authenticator")
    assert device.verify_token(code)


def test_demo_otp_refuses_with_debug_off_or_without_a_demo_device(settings):
    with pytest.raises(CommandError, match="run `manage.py seed_demo` first"):
        run("demo_otp", "officer")

    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DEBUG on"):
        run("demo_otp", "officer")


def test_the_seeded_officer_finds_dana_in_the_registry_admin(client):
    run("seed_demo")
    officer = get_user_model().objects.get(username="officer")
    client.force_login(officer)
    session = client.session
    device = TOTPDevice.objects.get(user=officer, name="demo authenticator")
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # as after entering the code
    session.save()
    dana = Consumer.objects.get(shop_customer_id="DEMO-0001")

    search = client.get("/admin/registry/consumer/", {"q": "demo@example.com"})
    page = client.get(f"/admin/registry/consumer/{dana.pk}/change/")
    analytics = DataSystem.objects.get(slug="site-analytics")
    records = client.get(
        "/admin/registry/personalrecord/", {"data_system__id__exact": analytics.pk}
    )

    assert search.status_code == 200
    assert "Dana Demo" in search.text
    assert page.status_code == 200
    assert "742 Sample Lane, Apt 3, San Francisco, CA 94110" in page.text
    assert "DEMO-0001-04" in page.text
    assert records.status_code == 200
    assert any(f"{net.network_address}"[:-1] in records.text for net in DOCUMENTATION_NETWORKS)


def test_demo_staff_have_their_roles_and_the_queue_has_work_in_every_state():
    run("seed_demo")

    roles = {
        user.username: sorted(user.groups.values_list("name", flat=True))
        for user in get_user_model().objects.filter(is_staff=True)
    }
    assert roles == {
        "officer": ["Privacy officer"],
        "care": ["Customer care"],
        "auditor": ["Auditor"],
    }
    states = set(PrivacyRequest.objects.values_list("status", flat=True))
    assert {"verifying", "verified", "in_progress", "fulfilled", "denied"} <= states
    assert PrivacyRequest.objects.filter(extended_due_at__isnull=False).count() == 1
