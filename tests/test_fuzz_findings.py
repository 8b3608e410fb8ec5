"""What the fuzzing found (tests/test_fuzz_*.py), each kept as a plain example so that it stays
fixed whatever the fuzzer draws next time; and the hostile payload of the issue walked through
every page and email where it shows later, the staff queue above all."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import current_code, signed_in, staff_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def olga():
    return staff_in_role(PRIVACY_OFFICER, "olga")


@pytest.mark.parametrize("next_url", ["0", "queue", "staff:queue", "admin"])
def test_a_bare_word_as_next_after_the_second_factor_goes_to_the_queue(olga, next_url):
    browser = signed_in(olga, verified=False)
    code = current_code(TOTPDevice.objects.get(user=olga))

    response = browser.post(f"/staff/verify/?next={next_url}", {"token": code, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_a_bare_word_as_next_at_sign_in_is_not_carried_to_the_second_factor(olga):
    response = Client().post(
        "/staff/sign-in/?next=0", {"username": "olga", "password": factories.PASSWORD, "next": "0"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/verify/?next=%2Fstaff%2F"
