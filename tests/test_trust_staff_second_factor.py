"""The second factor cannot be bypassed with the password alone (issue 10, item 1).

Enrolment is for an account with no confirmed second factor (its first sign-in, or after an
officer's reset); replacing an authenticator needs the old second factor; an officer's reset is
recorded in the staff account history.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import services
from staff.models import StaffAccountEvent
from staff.roles import AUDITOR, CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import current_code, signed_in, staff_in_role

pytestmark = pytest.mark.django_db


def password_only(username):
    """A browser that signed in at /staff/sign-in/ with the password and stopped there."""
    from django.test import Client

    client = Client()
    response = client.post(
        "/staff/sign-in/", {"username": username, "password": factories.PASSWORD}
    )
    assert response["Location"].startswith("/staff/verify/")
    return client


def secret_shown(page) -> str | None:
    match = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    return match.group(1) if match else None


def test_a_password_alone_cannot_enrol_a_new_authenticator_over_a_confirmed_one():
    superuser = factories.staff_member(username="root", is_superuser=True)
    attacker = password_only("root")

    page = attacker.get("/staff/enroll/")

    assert page.status_code == 302
    assert page["Location"].startswith("/staff/verify/")
    assert not TOTPDevice.objects.filter(user=superuser, confirmed=False).exists()
    assert (
        attacker.get("/staff/enroll/", follow=True)
        .redirect_chain[-1][0]
        .startswith("/staff/verify/")
    )


def test_posting_a_code_to_the_enrolment_page_never_replaces_the_real_device():
    superuser = factories.staff_member(username="root", is_superuser=True)
    real_device = TOTPDevice.objects.get(user=superuser)
    attacker = password_only("root")
    # The attacker's own authenticator, as if the enrolment page had shown its secret.
    planted = TOTPDevice.objects.create(user=superuser, name="authenticator", confirmed=False)

    response = attacker.post("/staff/enroll/", {"token": current_code(planted)})

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/verify/")
    assert TOTPDevice.objects.filter(pk=real_device.pk, confirmed=True).exists()
    planted.refresh_from_db()
    assert not planted.confirmed
    assert attacker.get("/admin/").status_code == 302  # still not in
    assert attacker.get("/staff/").status_code == 302


def test_the_service_refuses_to_confirm_over_a_confirmed_device_without_the_second_factor():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    planted = TOTPDevice.objects.create(user=officer, name="authenticator", confirmed=False)

    with pytest.raises(services.EnrolmentRefused):
        services.totp_enroll_confirm(
            user=officer, device=planted, token=current_code(planted), second_factor_verified=False
        )
    with pytest.raises(services.EnrolmentRefused):
        services.totp_device_pending(user=officer, second_factor_verified=False)

    assert TOTPDevice.objects.filter(user=officer, confirmed=True).count() == 1


def test_backup_codes_alone_also_count_as_a_second_factor_that_a_password_cannot_replace():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    TOTPDevice.objects.filter(user=officer).delete()
    code = services.backup_codes_replace(user=officer)[0]
    client = password_only("olga")

    assert client.get("/staff/enroll/")["Location"].startswith("/staff/verify/")
    asked = client.get("/staff/verify/")
    assert asked.status_code == 200 and "backup code" in asked.text

    # With a backup code the session is verified, and is sent to set up an authenticator.
    after_code = client.post("/staff/verify/", {"token": code})
    assert after_code["Location"].startswith("/staff/enroll/")
    page = client.get(after_code["Location"])
    assert secret_shown(page)
    assert "replaces your current authenticator" in page.text


def test_a_verified_session_may_replace_its_authenticator_and_the_history_says_so():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    old = TOTPDevice.objects.get(user=officer)
    client = signed_in(officer)

    page = client.get("/staff/enroll/")
    assert secret_shown(page)
    new = TOTPDevice.objects.get(user=officer, confirmed=False)
    done = client.post("/staff/enroll/", {"token": current_code(new)})

    assert done["Location"].startswith("/staff/backup-codes/")
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    event = StaffAccountEvent.objects.get()
    assert (event.kind, event.account, event.actor) == ("replaced", officer, officer)


def test_first_enrolment_is_recorded_in_the_staff_account_history(client):
    newcomer = factories.UserFactory.create(username="newcomer", is_staff=True)
    newcomer.groups.add(Group.objects.get(name=CUSTOMER_CARE))
    client.post("/staff/sign-in/", {"username": "newcomer", "password": factories.PASSWORD})
    client.get("/staff/enroll/")
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)

    client.post("/staff/enroll/", {"token": current_code(device)})

    assert list(StaffAccountEvent.objects.values_list("kind", "account_username")) == [
        ("enrolled", "newcomer")
    ]


def reset_in_admin(officer_client, account, reason="Lost phone and backup codes; called back."):
    return officer_client.post(
        "/admin/staff/staffaccount/",
        {
            "action": "reset_second_factor",
            "_selected_action": [account.pk],
            "apply": "1",
            "reason": reason,
        },
    )


def test_an_officer_resets_a_lost_second_factor_in_the_admin_and_the_colleague_enrols_again():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    colleague = staff_in_role(CUSTOMER_CARE, "carl")
    colleague_session = signed_in(colleague)
    assert colleague_session.get("/staff/").status_code == 200
    officer_client = signed_in(officer)

    asked = officer_client.post(
        "/admin/staff/staffaccount/",
        {"action": "reset_second_factor", "_selected_action": [colleague.pk]},
    )
    assert asked.status_code == 200 and 'name="reason"' in asked.text
    assert TOTPDevice.objects.filter(user=colleague).exists()  # nothing yet: it asks first
    reset_in_admin(officer_client, colleague)

    assert not TOTPDevice.objects.filter(user=colleague).exists()
    assert not StaticDevice.objects.filter(user=colleague).exists()
    # The session verified with the old device is verified no longer.
    assert colleague_session.get("/staff/").status_code == 302
    event = StaffAccountEvent.objects.get()
    assert (event.kind, event.account, event.actor) == ("reset", colleague, officer)
    assert event.detail == "Lost phone and backup codes; called back."
    # The next sign-in sets up a new authenticator with the password.
    fresh = password_only("carl")
    assert secret_shown(fresh.get("/staff/enroll/"))


def test_an_officer_cannot_reset_a_superusers_second_factor():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    root = factories.staff_member(username="root", is_superuser=True)

    client = signed_in(officer)
    reset_in_admin(client, root)

    assert TOTPDevice.objects.filter(user=root, confirmed=True).exists()
    assert not StaffAccountEvent.objects.exists()
    assert "Only a superuser may reset" in client.get("/admin/staff/staffaccount/").text


@pytest.mark.parametrize("role", [CUSTOMER_CARE, AUDITOR])
def test_care_and_auditor_cannot_reset_anyones_second_factor(role):
    user = staff_in_role(role, "someone")
    victim = staff_in_role(CUSTOMER_CARE, "carl")

    response = reset_in_admin(signed_in(user), victim)

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=victim, confirmed=True).exists()


def test_the_auditor_reads_the_staff_account_history_but_cannot_change_it():
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    colleague = staff_in_role(CUSTOMER_CARE, "carl")
    services.second_factor_reset(account=colleague, actor=officer, reason="Lost phone.")
    auditor = signed_in(staff_in_role(AUDITOR, "audrey"))

    page = auditor.get("/admin/staff/staffaccountevent/")

    assert page.status_code == 200
    assert "carl" in page.text and "Second factor reset by an officer" in page.text
    event = StaffAccountEvent.objects.get()
    assert auditor.post(f"/admin/staff/staffaccountevent/{event.pk}/delete/").status_code == 403
    with pytest.raises(ValueError, match="append-only"):
        StaffAccountEvent.objects.filter(pk=event.pk).update(detail="")
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
