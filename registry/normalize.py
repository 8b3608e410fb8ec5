"""Normalizing identifiers so that the same person compares equal however they typed it."""

import phonenumbers

DEFAULT_PHONE_REGION = "US"


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_phone(value: str, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """Return the number in E.164 (+14155550123); raise ValueError if it is not one."""
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
