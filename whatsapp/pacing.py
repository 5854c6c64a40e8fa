"""The pace of a hotel's WhatsApp number, in one place.

Two layers keep a number from looking like a bot (WAHA's "How to Avoid Blocking"):
- a token bucket per hotel (`take`): a burst of a few sends, then a steady trickle of the hotel's
  pace (`sends_per_minute`, set by its owner on /settings/waha/). It lives on the hotel's WhatsApp
  row, updated under a row lock, so every worker and web process shares it. A send without a
  token is not refused: it learns when the next token comes, and waits in the queue;
- like a person (`wait_for_gap`, `typing_seconds`): a random gap after the number's previous
  message and a typing time that grows with the text. A number already booked more than a minute
  ahead (`busy_until`) defers its jobs rather than keep a worker asleep.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Value
from django.utils import timezone

from automation.queue import Defer
from innbox.integrations import IntegrationError
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import sessions
from whatsapp.models import RefusedNumber, SessionStatus, WahaConfiguration

Sleep = Callable[[float], None]
# Renews the send job's lease for that many seconds (automation.queue.keep_lease).
Hold = Callable[[float], None]


def take(tenant: Tenant, now: dt.datetime | None = None) -> dt.datetime | None:
    """Use a token and return None, or return when one will be there (nothing used)."""
    now = now or timezone.now()
    with acting_for_tenant(tenant.id):
        config = WahaConfiguration.objects.select_for_update().filter(tenant=tenant).first()
        if config is None:
            return None  # no WhatsApp yet (or the sandbox): nothing to protect
        next_token = _take_token(config, now)
        if next_token is None:
            config.save(update_fields=["send_tokens", "send_tokens_at"])
        return next_token


def _take_token(config: WahaConfiguration, now: dt.datetime) -> dt.datetime | None:
    """Take a token on `config` (unsaved) and return None, or return when one will be there."""
    per_minute = config.sends_per_minute or default_pace()
    rate, capacity = per_minute / 60.0, float(per_minute)
    tokens = capacity if config.send_tokens is None else config.send_tokens
    if config.send_tokens_at is not None:
        tokens = min(capacity, tokens + (now - config.send_tokens_at).total_seconds() * rate)
    if tokens < 1:
        return now + dt.timedelta(seconds=(1 - tokens) / rate)
    config.send_tokens, config.send_tokens_at = tokens - 1, now
    return None


@dataclass(frozen=True)
class Reserved:
    """What a send may use once the transaction that reserved it commits: the hotel's session
    (None in the sandbox) and the moment its paced gap allows the message (None: at once)."""

    config: WahaConfiguration | None
    slot: dt.datetime | None


def reserve(
    tenant: Tenant,
    now: dt.datetime,
    *,
    patience: float = 60.0,
    number: str = "",
    service: bool = False,
) -> Reserved:
    """Everything pacing asks of one send, on one row lock of the hotel's WhatsApp row, inside
    the caller's transaction (acting for the hotel): the session works, the number is not booked
    more than `patience` seconds ahead (else Defer until it is free), a token of the rate limit
    (else Defer until one comes; nothing used), and the slot after a random gap. The same
    checks as busy_until, take and wait_for_gap, in two statements instead of six transactions.
    First, as the transport's own last word on opt-out: a `number` that refused messages gets
    none unless the send is a `service` (whatsapp.sender.refuses)."""
    checked = bool(number) and not service
    # The refusal is asked in the same statement as the row lock: no statement more per send.
    config = (
        WahaConfiguration.objects.select_for_update(of=("self",))
        .filter(tenant=tenant)
        .annotate(
            refused=Exists(
                RefusedNumber.objects.filter(tenant_id=OuterRef("tenant_id"), phone_e164=number)
            )
            if checked
            else Value(False)
        )
        .first()
    )
    refused = config.refused if config is not None else checked and refuses(tenant, number)
    if refused:
        raise IntegrationError(REFUSED, retryable=False, code="number_refuses")
    if settings.WAHA_BASE_URL and (config is None or config.status != SessionStatus.WORKING):
        raise IntegrationError(
            "WhatsApp is not connected: connect it on the WhatsApp settings page",
            retryable=True,
            code="session_not_ready",
        )
    if config is None:
        return Reserved(config=None, slot=None)  # the sandbox without a session: nothing to pace
    paced = bool(settings.WAHA_BASE_URL and settings.WAHA_PACING_ENABLED)
    if paced and config.last_sent_at is not None:
        free_at = config.last_sent_at + dt.timedelta(seconds=settings.WAHA_MIN_GAP_SECONDS)
        if free_at > now + dt.timedelta(seconds=patience):
            raise Defer(free_at, "the hotel's number is pacing its messages")
    next_token = _take_token(config, now)
    if next_token is not None:
        raise Defer(next_token, "the hotel's send rate limit")
    fields = ["send_tokens", "send_tokens_at"]
    slot = None
    if paced:
        slot = now
        if config.last_sent_at is not None:
            gap = random.uniform(settings.WAHA_MIN_GAP_SECONDS, settings.WAHA_MAX_GAP_SECONDS)  # noqa: S311
            slot = max(now, config.last_sent_at + dt.timedelta(seconds=gap))
        config.last_sent_at = slot
        fields.append("last_sent_at")
    config.save(update_fields=fields)
    return Reserved(config=config, slot=slot)


REFUSED = "This number asked not to receive messages (STOP)"


def refuses(tenant: Tenant, number: str) -> bool:
    """In the caller's transaction: whether `number` asked not to receive messages."""
    return RefusedNumber.objects.filter(tenant=tenant, phone_e164=number).exists()


def wait_for_slot(slot: dt.datetime | None, sleep: Sleep, hold: Hold) -> None:
    """Sleep until a slot `reserve` gave, holding the job's lease for as long."""
    if slot is None:
        return
    wait = (slot - timezone.now()).total_seconds()
    if wait > 0:
        hold(wait + settings.WAHA_MAX_TYPING_SECONDS + 60)
        sleep(wait)


def default_pace() -> int:
    """Sends per minute of a hotel whose owner has not chosen one."""
    return int(settings.AUTOMATION_SENDS_PER_MINUTE)


def typing_seconds(text: str) -> float:
    """As long as a person would take, roughly, never the same twice."""
    base = len(text) / settings.WAHA_TYPING_CHARS_PER_SECOND
    return min(settings.WAHA_MAX_TYPING_SECONDS, base * random.uniform(0.8, 1.2))  # noqa: S311


def busy_until(tenant: Tenant, *, patience: float = 60.0) -> dt.datetime | None:
    """When the hotel's number is free again, if its queue of paced sends is longer than
    `patience` seconds: a queued job then waits in the queue, not in a sleeping worker."""
    if not settings.WAHA_BASE_URL or not settings.WAHA_PACING_ENABLED:
        return None
    config = sessions.configuration_for(tenant)
    if config is None or config.last_sent_at is None:
        return None
    free_at = config.last_sent_at + dt.timedelta(seconds=settings.WAHA_MIN_GAP_SECONDS)
    return free_at if free_at > timezone.now() + dt.timedelta(seconds=patience) else None


def wait_for_gap(config: WahaConfiguration, sleep: Sleep, hold: Hold) -> None:
    """A random gap after this number's previous message; never a fixed rhythm.

    The slot is reserved under a row lock, so two senders for one hotel queue up instead of
    reading the same last send and going out together."""
    now = timezone.now()
    with acting_for_tenant(config.tenant_id):
        locked = WahaConfiguration.objects.select_for_update().get(pk=config.pk)
        slot = now
        if locked.last_sent_at is not None:
            gap = random.uniform(settings.WAHA_MIN_GAP_SECONDS, settings.WAHA_MAX_GAP_SECONDS)  # noqa: S311
            slot = max(now, locked.last_sent_at + dt.timedelta(seconds=gap))
        locked.last_sent_at = slot
        locked.save(update_fields=["last_sent_at"])
    wait = (slot - now).total_seconds()
    if wait > 0:
        hold(wait + settings.WAHA_MAX_TYPING_SECONDS + 60)
        sleep(wait)
