"""Staff sign in with a password and a second factor; every staff URL refuses a session
without a verified second factor (issue: staff workspace)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import current_code, signed_in, staff_in_role

pytestmark = pytest.mark.django_db

PUBLIC_STAFF_URLS = {"sign_in", "verify", "enroll", "backup_codes", "sign_out"}


def sign_in(client, username, password=factories.PASSWORD, next_url="/staff/"):
    return client.post(
        f"/staff/sign-in/?next={next_url}", {"username": username, "password": password}
    )


def test_officer_signs_in_with_password_then_the_code_from_the_app(client):
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    device = TOTPDevice.objects.get(user=officer)

    after_password = sign_in(client, "olga")
    assert after_password["Location"].startswith("/staff/verify/")
    assert client.get("/staff/").status_code == 302  # not yet: second factor missing

    wrong = client.post(after_password["Location"], {"token": "000000"})
    assert "That code is not right." in wrong.text
    # django-otp throttles a device after a failure; a person would wait a few seconds.
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(after_password["Location"], {"token": current_code(device)})

    assert right["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_first_sign_in_enrols_an_authenticator_with_a_qr_code_and_backup_codes(client):
    newcomer = factories.UserFactory.create(username="newcomer", is_staff=True)
    newcomer.groups.add(Group.objects.get(name=PRIVACY_OFFICER))

    sign_in(client, "newcomer")
    enrol = client.get("/staff/verify/", follow=True)
    assert enrol.redirect_chain[-1][0].startswith("/staff/enroll/")
    assert "<svg" in enrol.text
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', enrol.text).group(1)
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    assert secret  # the key to type when the QR code cannot be scanned

    done = client.post("/staff/enroll/?next=/staff/", {"token": current_code(device)}, follow=True)

    assert "Your backup codes" in done.text
    codes = re.findall(r"<li><code>([0-9a-f]{8})</code></li>", done.text)
    assert len(codes) == 10
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/backup-codes/").status_code == 302  # shown once only
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes)


def test_a_backup_code_works_once_as_the_second_factor(client):
    from staff.services import backup_codes_replace

    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    code = backup_codes_replace(user=officer)[0]

    sign_in(client, "olga")
    client.post("/staff/verify/", {"token": code})
    assert client.get("/staff/").status_code == 200

    other = type(client)()
    sign_in(other, "olga")
    again = other.post("/staff/verify/", {"token": code})
    assert "That code is not right." in again.text


def test_consumers_cannot_use_the_staff_sign_in(client):
    dana = factories.consumer_with_account(email="dana@example.com")

    response = sign_in(client, dana.user.username)

    assert "do not match a staff account" in response.text


def test_repeated_failures_lock_the_staff_sign_in(client):
    staff_in_role(PRIVACY_OFFICER, "olga")
    for _ in range(5):
        sign_in(client, "olga", password="guess")

    response = sign_in(client, "olga")

    assert response.status_code == 429


def test_staff_sessions_end_after_thirty_idle_minutes():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    client = signed_in(officer)
    assert client.get("/staff/").status_code == 200

    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        response = client.get("/staff/", follow=True)

    assert "/staff/sign-in/" in response.redirect_chain[-1][0]
    assert "signed out after 30 minutes without activity" in response.text


def staff_url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from staff_url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete(route: str) -> str:
    """A URL for the route, with a real request's reference in place of each parameter."""
    values = {"action": "approve"}
    return "/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "PR-2026-000001"), route
    )


def test_every_staff_and_admin_url_refuses_a_session_without_a_verified_second_factor():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    factories.PrivacyRequestFactory.create(reference="PR-2026-000001")
    unverified = signed_in(officer, verified=False)
    checked = 0
    for route, pattern in staff_url_patterns():
        if not route.startswith(("staff/", "admin/")) or pattern.name in PUBLIC_STAFF_URLS:
            continue
        if pattern.name in {"login", "logout", "javascript-catalog"} or "(?P<" in route:
            continue
        url = concrete(route)
        for method in ("get", "post"):
            response = getattr(unverified, method)(url)
            assert response.status_code in {302, 405}, (method, url, response.status_code)
            if response.status_code == 302:
                assert re.search(r"/(staff/sign-in|admin/login)/", response["Location"]), url
        checked += 1
    assert checked >= 10
