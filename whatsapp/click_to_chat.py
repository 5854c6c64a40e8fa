"""Links and QR codes that open a WhatsApp chat with the hotel, so guests write first.

A stay's link carries its reservation's chat token in the prefilled text ("… (ref: <token>)");
the inbound parser finds it again here. The token, not the PMS's booking code, is what links
an unknown number to a stay: booking codes are short or sequential and can be guessed.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import segno

# "ref" then the token: 16 URL-safe characters (hotel.models.new_chat_token). Lenient about the
# separator and the case of "ref" in case the guest retypes it; the token itself is exact.
_TOKEN_AFTER_MARKER = re.compile(r"\bref\W{0,3}([A-Za-z0-9_-]{16})(?![A-Za-z0-9_-])", re.I)


def link(hotel_phone: str, text: str) -> str:
    """wa.me link to the hotel's number with `text` ready to send."""
    return f"https://wa.me/{hotel_phone.lstrip('+')}?text={quote(text)}"


def qr_svg(url: str) -> str:
    """The link as a QR code, a data: URI for an <img>."""
    return segno.make(url, error="m").svg_data_uri(scale=5, dark="#1d2330")


# The greeting the guest's WhatsApp opens with, in their language (English otherwise); the
# "(ref: …)" marker is what inbound messages are searched for, whatever the language.
GREETINGS = {"en": "Hi {hotel}!", "id": "Halo {hotel}!"}


def stay_text(hotel_name: str, chat_token: str, language: str = "en") -> str:
    greeting = GREETINGS.get(language.split("-")[0].lower(), GREETINGS["en"])
    return f"{greeting.format(hotel=hotel_name)} (ref: {chat_token})"


def for_stay(
    hotel_phone: str, hotel_name: str, chat_token: str, language: str = "en"
) -> dict[str, str]:
    """One guest's link, the text it opens with, and its QR code: sending that text links their
    chat to the stay."""
    text = stay_text(hotel_name, chat_token, language)
    url = link(hotel_phone, text)
    return {"url": url, "text": text, "qr_svg": qr_svg(url)}


def chat_tokens_in(text: str) -> set[str]:
    return set(_TOKEN_AFTER_MARKER.findall(text or ""))
