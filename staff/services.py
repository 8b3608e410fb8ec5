"""Second-factor enrolment for staff: a TOTP device confirmed by a first code, then backup
codes shown once."""

import secrets
from io import BytesIO

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

BACKUP_CODE_COUNT = 10


def totp_device_pending(*, user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one per user, reused until confirmed)."""
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


def totp_enroll_confirm(*, user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a first code; returns fresh backup codes, or None if the code
    is wrong. Earlier devices and backup codes of the user are replaced."""
    if not device.verify_token(token):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return backup_codes_replace(user=user)


def backup_codes_replace(*, user) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name="backup codes", defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [secrets.token_hex(4) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def issuer() -> str:
    return settings.OTP_TOTP_ISSUER
