"""Sending one WhatsApp text for a hotel, the way a careful person would.

Two transports behind one function:
- WAHA: check the number is on WhatsApp, wait a random gap after this number's last send, mark
  the chat seen, type for a time proportional to the text, send. Every failure is an
  IntegrationError; consecutive failures are counted so a silently broken session shows as
  degraded.
- Console (no WAHA_BASE_URL, development): the message is logged and reported as sent, no
  network; every page says "Sandbox: messages are not delivered".
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from innbox.phones import chat_id_for, to_e164
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import pacing, sessions
from whatsapp.models import RefusedNumber, SessionStatus, WahaConfiguration
from whatsapp.waha import WahaClient, WahaError

log = get_logger(__name__)

Sleep = pacing.Sleep
# Called with how many seconds the send still needs; raises to stop it (the queue's lease).
Hold = pacing.Hold
# Failures that say something about the guest's number, not about the hotel's session.
GUEST_SIDE_FAILURES = {"not_on_whatsapp", "invalid_number", "number_refuses"}
# Runs a write for the hotel in a transaction: at once (the default), or in the one that records
# the job's outcome (automation.queue.with_outcome), so that a send's aftermath is one transaction.
Record = Callable[[UUID, Callable[[], object]], None]


def record_now(tenant_id: UUID, write: Callable[[], object]) -> None:
    with acting_for_tenant(tenant_id):
        write()


@dataclass(frozen=True)
class SentMessage:
    message_id: str | None  # WAHA's serialized id; None when the engine did not say
    chat_id: str
    sandbox: bool = False


def send_text(
    tenant: Tenant,
    phone: str,
    text: str,
    *,
    sleep: Sleep = time.sleep,
    hold: Hold | None = None,
    reserved: pacing.Reserved | None = None,
    record: Record = record_now,
    service: bool = False,
) -> SentMessage:
    """Send `text` to `phone` (any format; the hotel's country is the default region).

    `hold` is called before the pacing wait and again just before the message leaves: a queued
    job keeps its lease with it, and a worker that lost the job meanwhile stops there.
    `reserved` is what pacing.reserve gave in the caller's transaction (the session and the
    paced slot); without it they are looked up and reserved here. The session's health after the
    send is written through `record`. A number that refused messages gets none, unless
    `service` (an answer to its own message): checked by pacing.reserve in the caller's
    transaction, or here."""
    e164 = to_e164(phone, tenant.country_code)
    if reserved is None and not service and refuses(tenant, e164):
        raise IntegrationError(pacing.REFUSED, retryable=False, code="number_refuses")
    if not settings.WAHA_BASE_URL:
        return _send_to_console(tenant, e164, text)
    if reserved is not None and reserved.config is not None:
        config, slot = reserved.config, reserved.slot
    else:
        config, slot = _working_session(tenant, "connect it on the WhatsApp settings page"), None
    try:
        with sessions.client() as waha:
            sent = _send_through_waha(
                waha, config, e164, text, sleep, hold or _no_hold, slot, reserved is not None
            )
    except IntegrationError as exc:
        if exc.code not in GUEST_SIDE_FAILURES:
            # Bound now: the except block's name is gone when the write runs.
            record(config.tenant_id, functools.partial(_write_failure, config, exc))
        raise
    record(config.tenant_id, lambda: _write_success(config))
    return sent


def refuses(tenant: Tenant, e164: str) -> bool:
    with acting_for_tenant(tenant.id):
        return pacing.refuses(tenant, e164)


def refuse(tenant: Tenant, e164: str, reason: str) -> None:
    """The number asked the hotel to stop (or WhatsApp said it refuses): no more sends to it."""
    RefusedNumber.objects.get_or_create(tenant=tenant, phone_e164=e164, defaults={"reason": reason})


def accept(tenant: Tenant, e164: str) -> None:
    """The number asked to receive messages again."""
    RefusedNumber.objects.filter(tenant=tenant, phone_e164=e164).delete()


def sent_copies(tenant: Tenant, phone: str, text: str, *, since: dt.datetime) -> list[SentMessage]:
    """Every message with exactly this text that the hotel's number sent to `phone` at or after
    `since` (whole seconds, WhatsApp's clock), earliest first, as WhatsApp's chat history has them:
    a send that may have gone out (a worker died, a call timed out) is settled with these before
    it is tried again. Telling our own logged copies apart is the caller's (messaging.jobs): the
    transport knows no message log. Sandbox sends reach no one: none."""
    if not settings.WAHA_BASE_URL:
        return []
    config = _working_session(tenant, "an earlier attempt cannot be checked yet")
    e164 = to_e164(phone, tenant.country_code)
    with sessions.client() as waha:
        check = waha.check_exists(config.session_name, e164.lstrip("+"))
        chat_id = check.chat_id or chat_id_for(e164)
        history = waha.recent_messages_from_me(
            config.session_name, chat_id, since=int(since.timestamp())
        )
    wanted = text.strip()
    floor = int(since.timestamp())  # WhatsApp stamps whole seconds
    matching = sorted(
        (
            item
            for item in history
            if item.get("fromMe")
            and isinstance(item.get("id"), str)
            and int(item.get("timestamp") or 0) >= floor
            and str(item.get("body") or "").strip() == wanted
        ),
        key=lambda item: int(item.get("timestamp") or 0),
    )
    return [SentMessage(message_id=str(item["id"]), chat_id=chat_id) for item in matching]


def _working_session(tenant: Tenant, consequence: str) -> WahaConfiguration:
    """The hotel's session, if WhatsApp works; otherwise a retryable error (it may come back)."""
    config = sessions.configuration_for(tenant)
    if config is None or config.status != SessionStatus.WORKING:
        raise IntegrationError(
            f"WhatsApp is not connected: {consequence}",
            retryable=True,
            code="session_not_ready",
        )
    return config


def _send_to_console(tenant: Tenant, e164: str, text: str) -> SentMessage:
    log.info("whatsapp_sandbox_send", to=e164, characters=len(text))
    return SentMessage(
        message_id=f"sandbox_{uuid.uuid4().hex}", chat_id=chat_id_for(e164), sandbox=True
    )


def _no_hold(seconds: float) -> None:
    pass


def _send_through_waha(
    waha: WahaClient,
    config: WahaConfiguration,
    e164: str,
    text: str,
    sleep: Sleep,
    hold: Hold,
    slot: dt.datetime | None,
    slot_reserved: bool,
) -> SentMessage:
    session = config.session_name
    check = waha.check_exists(session, e164.lstrip("+"))
    if not check.exists:
        raise WahaError(f"{e164} is not on WhatsApp", retryable=False, code="not_on_whatsapp")
    # WAHA's chat id, not ours: it corrects numbers WhatsApp knows in another form.
    chat_id = check.chat_id or chat_id_for(e164)
    if settings.WAHA_PACING_ENABLED:
        if slot_reserved:
            pacing.wait_for_slot(slot, sleep, hold)
        else:
            pacing.wait_for_gap(config, sleep, hold)
        waha.send_seen(session, chat_id)
        waha.start_typing(session, chat_id)
        sleep(pacing.typing_seconds(text))
        waha.stop_typing(session, chat_id)
    hold(0)
    message_id = waha.send_text(session, chat_id, text)
    return SentMessage(message_id=message_id, chat_id=chat_id)


def _write_success(config: WahaConfiguration) -> None:
    """Health is written by the system, for any sender (inside a transaction acting for it)."""
    was_degraded = config.is_degraded
    WahaConfiguration.objects.filter(pk=config.pk).update(
        consecutive_send_failures=0, last_sent_at=timezone.now(), updated_at=timezone.now()
    )
    if was_degraded:
        log.info("whatsapp_recovered", session=config.session_name)


def _write_failure(config: WahaConfiguration, error: IntegrationError) -> None:
    WahaConfiguration.objects.filter(pk=config.pk).update(
        consecutive_send_failures=F("consecutive_send_failures") + 1,
        last_error=error.message[:500],
        updated_at=timezone.now(),
    )
    config.refresh_from_db(fields=["consecutive_send_failures", "status"])
    if config.is_degraded:
        log.warning(
            "whatsapp_degraded",
            session=config.session_name,
            consecutive_failures=config.consecutive_send_failures,
            error=error.message,
            error_category=ErrorCategory.INTEGRATION,
        )
