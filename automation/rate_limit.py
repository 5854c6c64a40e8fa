"""A token bucket per hotel for WhatsApp sends: a burst of a few, then a steady trickle.

The bucket lives on the hotel's WhatsApp row, updated under a row lock, so every worker and web
process shares it. A send without a token is not refused: it learns when the next token comes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp.models import WahaConfiguration


def take(tenant: Tenant, now: dt.datetime | None = None) -> dt.datetime | None:
    """Use a token and return None, or return when one will be there (nothing used)."""
    now = now or timezone.now()
    with acting_for_tenant(tenant.id):
        config = WahaConfiguration.objects.select_for_update().filter(tenant=tenant).first()
        if config is None:
            return None  # no WhatsApp yet (or the sandbox): nothing to protect
        per_minute = config.sends_per_minute or settings.AUTOMATION_SENDS_PER_MINUTE
        rate, capacity = per_minute / 60.0, float(per_minute)
        tokens = capacity if config.send_tokens is None else config.send_tokens
        if config.send_tokens_at is not None:
            tokens = min(capacity, tokens + (now - config.send_tokens_at).total_seconds() * rate)
        if tokens < 1:
            return now + dt.timedelta(seconds=(1 - tokens) / rate)
        config.send_tokens, config.send_tokens_at = tokens - 1, now
        config.save(update_fields=["send_tokens", "send_tokens_at"])
        return None
