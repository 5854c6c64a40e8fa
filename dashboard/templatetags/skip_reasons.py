"""Why an automated message was skipped, in the reader's language.

The job keeps the reason in English (messaging.trigger_rules writes it from its msgids); this
filter finds which of those msgids it was written from and translates it, with its values (a
status becomes its label). Anything else is shown as it was stored.
"""

from __future__ import annotations

import re
from functools import cache

from django import template
from django.utils.translation import gettext

from hotel.models import ReservationStatus
from messaging.trigger_rules import SKIP_REASONS

register = template.Library()
_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (msgid, re.compile(_PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(msgid))))
        for msgid in SKIP_REASONS
    ]


@register.filter
def translated(reason: str) -> str:
    for msgid, pattern in _patterns():
        found = pattern.fullmatch(reason or "")
        if found:
            values = found.groupdict()
            if "status" in values and values["status"] in ReservationStatus.values:
                values["status"] = str(ReservationStatus(values["status"]).label).lower()
            return gettext(msgid) % values
    return reason
