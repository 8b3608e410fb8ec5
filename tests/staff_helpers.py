"""Staff personas signed in with a verified second factor, for the staff workspace tests."""

from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.roles import AUDITOR, CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories


def staff_in_role(role: str, username: str | None = None):
    user = factories.staff_member(username=username or role.lower().replace(" ", "-"))
    user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(user, *, verified: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if verified:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
    return client


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


ROLES = {"officer": PRIVACY_OFFICER, "care": CUSTOMER_CARE, "auditor": AUDITOR}
