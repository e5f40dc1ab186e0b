"""Phone numbers: validate and normalise to E.164; the carrier is a hint, never the truth."""

from __future__ import annotations

import hashlib

import phonenumbers
from phonenumbers import carrier


class PhoneError(ValueError):
    """A number that cannot receive an SMS from a mainland provider."""


def normalize_cn(raw: str) -> str:
    """Return the E.164 form (+8613812345678) of a mainland mobile number, or raise PhoneError."""
    text = raw.strip()
    try:
        num = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise PhoneError(
            f"phone {mask(text)!r} is not a phone number. "
            "Write it like 13812345678 or +8613812345678"
        ) from None
    if not phonenumbers.is_valid_number(num):
        raise PhoneError(f"phone {mask(text)!r} is not a valid number (checked with phonenumbers)")
    if num.country_code != 86:
        raise PhoneError(
            f"phone {mask(text)!r} is not a mainland China number; "
            "the providers here send to +86 only"
        )
    if phonenumbers.number_type(num) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise PhoneError(f"phone {mask(text)!r} is not a mobile number; SMS needs a mobile number")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def carrier_hint(e164: str) -> str | None:
    """The carrier a number block was allocated to (移动/联通/电信/广电); ports differ."""
    name = carrier.name_for_number(phonenumbers.parse(e164), "zh")
    return name or None


def national(e164: str) -> str:
    """The 11-digit national number the Chinese providers expect."""
    return e164[3:] if e164.startswith("+86") else e164


def mask(phone: str) -> str:
    """Mask a number for logs and errors: +86138****5678."""
    if len(phone) < 8:
        return "***"
    return phone[:-8] + "****" + phone[-4:]


def recipient_hash(e164: str, salt: str) -> str:
    """A stable pseudonym for analysis files (no raw numbers in events)."""
    return hashlib.sha256(f"{salt}:{e164}".encode()).hexdigest()[:16]
