"""Phone numbers as WhatsApp needs them: E.164 for us, `<digits>@c.us` for WAHA."""

from __future__ import annotations

import phonenumbers

from innbox.integrations import IntegrationError


class InvalidPhoneNumber(IntegrationError):
    def __init__(self, raw: str, reason: str = "is not a valid phone number") -> None:
        super().__init__(f"{raw!r} {reason}", retryable=False, code="invalid_number")


def to_e164(raw: str, default_region: str = "ID") -> str:
    """'0812-3456-7890' (a hotel in Indonesia) -> '+6281234567890'. Refuses what can't be a phone."""
    try:
        number = phonenumbers.parse(raw, default_region.upper() or None)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def chat_id_for(e164: str) -> str:
    return f"{e164.lstrip('+')}@c.us"


def e164_from_chat_id(chat_id: str) -> str | None:
    """'6281234567890@c.us' -> '+6281234567890'; None for groups, @lid and other ids."""
    user, _, server = chat_id.partition("@")
    # ASCII digits only: str.isdigit() also takes "٦٢٨" or "²", which no E.164 number holds.
    if server not in ("c.us", "s.whatsapp.net") or not (user.isascii() and user.isdigit()):
        return None
    return f"+{user}"
