"""The one renderer of guest-facing text: strict `{{variable}}` substitution, nothing else.

It is deliberately not a template engine: a template can't run code, loop, or reach an object's
attributes. Values are inserted literally (a guest called "{{hotelName}}" stays that, a name with
HTML stays text), and no "{{" ever reaches a guest: a value missing at send time gets its
documented fallback.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from babel import UnknownLocaleError
from babel.dates import format_date, format_time
from django.utils.translation import gettext_noop

from innbox.i18n import TranslatedError

# name -> what the guest reads when the value is missing at send time (documented in docs/messaging.md)
VARIABLES: dict[str, str] = {
    "guestName": "Guest",
    "roomNumber": "your room",
    "checkInDate": "your arrival date",
    "checkOutDate": "your departure date",
    "hotelName": "our hotel",
    "feedbackLink": "",
    # The hotel's checkout time and late-checkout offer (journey settings).
    "checkoutTime": "the checkout time",
    "lateCheckoutOffer": "",
}
# Only post-stay messages carry a feedback link.
TRIGGER_ONLY_VARIABLES = {"feedbackLink": {"post-stay"}}

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ANY_BRACES = re.compile(r"\{\{|\}\}")


class TemplateError(TranslatedError, ValueError):
    """A template staff wrote that cannot be sent; shown to them in their language."""


def placeholders(content: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(content)]


def validate(content: str, trigger: str) -> None:
    """Refuse, naming them, variables we don't know and braces that are not a variable."""
    unknown = sorted({name for name in placeholders(content) if name not in VARIABLES})
    if unknown:
        raise TemplateError(
            gettext_noop("Unknown variables: %(names)s. Use %(allowed)s.")
            if len(unknown) > 1
            else gettext_noop("Unknown variable: %(names)s. Use %(allowed)s."),
            names=", ".join("{{" + name + "}}" for name in unknown),
            allowed=", ".join("{{" + name + "}}" for name in allowed_for(trigger)),
        )
    misplaced = sorted(
        {
            name
            for name in placeholders(content)
            if trigger not in TRIGGER_ONLY_VARIABLES.get(name, {trigger})
        }
    )
    if misplaced:
        raise TemplateError(
            gettext_noop("%(names)s is not available in %(trigger)s messages."),
            names=", ".join("{{" + name + "}}" for name in misplaced),
            trigger=trigger,
        )
    if _ANY_BRACES.search(_PLACEHOLDER.sub("", content)):
        raise TemplateError(
            gettext_noop('Unmatched "{{" or "}}": write variables as {{guestName}}.')
        )


def allowed_for(trigger: str) -> list[str]:
    return [name for name in VARIABLES if trigger in TRIGGER_ONLY_VARIABLES.get(name, {trigger})]


@dataclass(frozen=True)
class Values:
    guest_name: str = ""
    room_number: str = ""
    check_in: dt.date | None = None
    check_out: dt.date | None = None
    hotel_name: str = ""
    feedback_link: str = ""
    language: str = "en"
    checkout_time: dt.time | None = None
    late_checkout_offer: str = ""

    def as_text(self) -> dict[str, str]:
        return {
            "guestName": _clip(self.guest_name),
            "roomNumber": _clip(self.room_number),
            "checkInDate": _date(self.check_in, self.language),
            "checkOutDate": _date(self.check_out, self.language),
            "hotelName": _clip(self.hotel_name),
            "feedbackLink": self.feedback_link.strip(),
            "checkoutTime": _time(self.checkout_time, self.language),
            # The hotel's own sentence: longer than a name, still bounded (journey settings).
            "lateCheckoutOffer": " ".join(self.late_checkout_offer.split()),
        }


MAX_VALUE_LENGTH = 120


def _clip(value: str) -> str:
    """Names come from PMSs and guests; a 10,000-character 'name' must not become the message."""
    value = " ".join(value.split())
    return value if len(value) <= MAX_VALUE_LENGTH else value[: MAX_VALUE_LENGTH - 1] + "…"


def _date(value: dt.date | None, language: str) -> str:
    if value is None:
        return ""
    try:
        return format_date(value, format="long", locale=language or "en")
    except (ValueError, LookupError, UnknownLocaleError):
        return format_date(value, format="long", locale="en")


def _time(value: dt.time | None, language: str) -> str:
    if value is None:
        return ""
    try:
        return format_time(value, format="short", locale=language or "en")
    except (ValueError, LookupError, UnknownLocaleError):
        return format_time(value, format="short", locale="en")


def render(content: str, values: Values) -> str:
    """Substitute in one pass: inserted values are never scanned again.

    The variables are exactly those validate() finds (in "{{{guestName}}" the variable starts
    at the second brace, and the first one stays); a stray "{{" or "}}" in the text between
    them is dropped: validated templates have none, but this is the last guard for anything
    older or hand-made."""
    text = values.as_text()
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(content):
        parts.append(_ANY_BRACES.sub("", content[position : match.start()]))
        name = match.group(1)
        parts.append(text.get(name) or VARIABLES.get(name, ""))
        position = match.end()
    parts.append(_ANY_BRACES.sub("", content[position:]))
    return "".join(parts)
