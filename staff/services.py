"""Second-factor enrolment for staff: a TOTP device confirmed by a first code, then backup
codes shown once.

The rule that closes the bypass: a password alone may enrol an authenticator only for an account
that has no confirmed second factor at all (its first sign-in, or after an officer's reset).
Replacing an existing authenticator needs a session verified with the old second factor (the
authenticator or a backup code). Callers say whether the session is verified; the rule is here.
"""

import secrets
from io import BytesIO

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from .models import StaffAccountEvent

BACKUP_CODE_COUNT = 10


class EnrolmentRefused(Exception):
    """An authenticator may not be (re)enrolled in this session."""


class ResetRefused(Exception):
    """This officer may not reset this account's second factor."""


def has_confirmed_second_factor(user) -> bool:
    """Any confirmed device counts: an authenticator, or backup codes (a second factor too)."""
    return any(True for _ in devices_for_user(user, confirmed=True))


def enrolment_allowed(*, user, second_factor_verified: bool) -> bool:
    return second_factor_verified or not has_confirmed_second_factor(user)


def totp_device_pending(*, user, second_factor_verified: bool) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one per user, reused until confirmed).
    Never made, and its secret never shown, for a session that may not enrol."""
    if not enrolment_allowed(user=user, second_factor_verified=second_factor_verified):
        raise EnrolmentRefused("Sign in with your second factor first.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def qr_code_svg(device: TOTPDevice) -> str:
    out = BytesIO()
    write_qrcode_image(device.config_url, out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # inline in the page: drop the XML prolog


def base32_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


def totp_enroll_confirm(
    *, user, device: TOTPDevice, token: str, second_factor_verified: bool
) -> list[str] | None:
    """Confirm the device with a first code; returns fresh backup codes, or None if the code
    is wrong. Earlier devices and backup codes of the user are replaced, which is why a session
    without the old second factor is refused (EnrolmentRefused) once one exists."""
    with transaction.atomic():
        # Locks the account: two enrolments at once (two tabs, or an attacker racing the
        # owner's first sign-in) are decided one after the other.
        get_user_model().objects.select_for_update().get(pk=user.pk)
        replacing = has_confirmed_second_factor(user)
        if replacing and not second_factor_verified:
            raise EnrolmentRefused("Sign in with your second factor first.")
        if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = backup_codes_replace(user=user)
        _event_add(
            account=user,
            actor=user,
            kind=StaffAccountEvent.Kind.REPLACED if replacing else StaffAccountEvent.Kind.ENROLLED,
        )
        return codes


def second_factor_reset(*, account, actor, reason: str) -> None:
    """An officer's reset for a colleague who lost both phone and backup codes: every device of
    the account goes, its verified sessions stop being verified (django-otp finds no device),
    and its next sign-in enrols a new authenticator. A superuser's second factor is reset only
    by another superuser, so an officer cannot take over an account with more rights."""
    if account.is_superuser and not actor.is_superuser:
        raise ResetRefused("Only a superuser may reset a superuser's second factor.")
    if not reason.strip():
        raise ResetRefused("Say why the second factor is reset.")
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=account.pk)
        for device in list(devices_for_user(account, confirmed=None)):
            device.delete()
        _event_add(account=account, actor=actor, kind=StaffAccountEvent.Kind.RESET, detail=reason)


def _event_add(*, account, actor, kind: str, detail: str = "") -> StaffAccountEvent:
    return StaffAccountEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        account=account,
        account_username=account.get_username(),
        actor=actor,
        actor_username=actor.get_username(),
        detail=detail,
    )


def backup_codes_replace(*, user) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name="backup codes", defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [secrets.token_hex(4) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes
