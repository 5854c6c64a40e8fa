"""A guest's consent and opt-out changes, each recorded with where it came from.

Lower layers change consent (the PMS sync, the conversations app's STOP and chat-link handling,
a staff entry in compliance), so the record lives here, in the lowest app that needs it: each
caller changes `Guest.consent_at` / `Guest.opted_out_at` as it always did and calls
`record_consent_change` in the same transaction, so a change and its record commit together.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from hotel.models import ConsentChange, ConsentEvent, ConsentSource, Guest
from innbox.logs import get_logger

log = get_logger(__name__)


def record_consent_change(
    guest: Guest,
    change: ConsentChange,
    source: ConsentSource,
    *,
    at: dt.datetime | None = None,
    text_shown: str = "",
    message_id: int | None = None,
    recorded_by_id: int | None = None,
    note: str = "",
) -> ConsentEvent:
    """One row of the guest's consent history. `message_id`: the guest's message that made the
    change; `recorded_by_id`: the staff member who entered it."""
    event = ConsentEvent.objects.create(
        tenant_id=guest.tenant_id,
        guest=guest,
        occurred_at=at or timezone.now(),
        change=change,
        source=source,
        message_id=message_id,
        recorded_by_id=recorded_by_id,
        text_shown=text_shown[:2000],
        note=note[:2000],
    )
    log.info("consent_recorded", guest_id=guest.pk, change=change.value, source=source.value)
    return event
