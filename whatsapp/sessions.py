"""The hotel's WhatsApp session on WAHA: connect, watch, disconnect."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from innbox.logs import ErrorCategory, get_logger
from tenancy import audit, lookups
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import audit as wa_audit
from whatsapp.models import SessionStatus, WahaConfiguration
from whatsapp.waha import WEBHOOK_EVENTS, SessionState, WahaClient, WahaError

CORE_SESSION = "default"

log = get_logger(__name__)


class SessionTaken(Exception):
    """WAHA Core has one session, and another hotel holds it."""

    def __init__(self, holder_name: str) -> None:
        self.holder_name = holder_name
        super().__init__(
            f"This WhatsApp server (WAHA Core) runs a single session, and {holder_name} is "
            "using it. Ask your Innbox administrator to switch to multi-session WAHA "
            "(WAHA Plus, or the free image since 2026.6, with WAHA_MULTI_SESSION=true)."
        )


class Sandbox(Exception):
    """No WAHA_BASE_URL: nothing to connect to."""


def is_sandbox() -> bool:
    return not settings.WAHA_BASE_URL


def multi_session() -> bool:
    return bool(settings.WAHA_MULTI_SESSION)


def client() -> WahaClient:
    if not settings.WAHA_BASE_URL:
        raise Sandbox("WAHA_BASE_URL is not set: messages are recorded, not delivered")
    return WahaClient(settings.WAHA_BASE_URL, settings.WAHA_API_KEY)


def session_name_for(tenant: Tenant) -> str:
    if not settings.WAHA_MULTI_SESSION:
        return CORE_SESSION
    return f"innbox-{tenant.public_id.hex[:16]}"


def session_config(tenant: Tenant) -> dict[str, Any]:
    """What WAHA needs to call us back: URL, events, HMAC key, retries, and WEBJS acks."""
    webhook: dict[str, Any] = {
        "url": f"{settings.APP_URL}{reverse('waha_webhook')}",
        "events": WEBHOOK_EVENTS,
        "retries": {"policy": "exponential", "delaySeconds": 2, "attempts": 6},
    }
    if settings.WAHA_WEBHOOK_HMAC_KEY:
        webhook["hmac"] = {"key": settings.WAHA_WEBHOOK_HMAC_KEY}
    return {
        "webhooks": [webhook],
        "metadata": {"innbox.tenant": str(tenant.public_id)},
        # WEBJS emits message.ack only with this flag (WAHA 2025.8.3+); other engines ignore it.
        "webjs": {"tagsEventsOn": True},
        # NOWEB answers chat history only from its own store; without the history a send whose
        # answer was lost cannot be settled (messaging.jobs). No full sync: recent chats suffice.
        "noweb": {"store": {"enabled": True, "fullSync": False}},
    }


@dataclass(frozen=True)
class SessionOwner:
    tenant_id: UUID
    tenant_name: str


def session_owner(session_name: str) -> SessionOwner | None:
    """Which hotel holds this session; asked before any hotel is known (webhooks, Core mode)."""
    found = lookups.waha_session_owner(session_name)
    return SessionOwner(*found) if found else None


def configuration_for(tenant: Tenant) -> WahaConfiguration | None:
    # In its own tenant context: the worker calls this outside any request.
    with acting_for_tenant(tenant.id):
        return WahaConfiguration.objects.filter(tenant=tenant).first()


def connect(tenant: Tenant) -> WahaConfiguration:
    """Create (or reconfigure) and start the hotel's session; WAHA then shows a QR code."""
    if is_sandbox():
        raise Sandbox("WAHA_BASE_URL is not set: messages are recorded, not delivered")
    name = session_name_for(tenant)
    owner = session_owner(name)
    if owner is not None and owner.tenant_id != tenant.id:
        raise SessionTaken(owner.tenant_name)
    try:
        with transaction.atomic():
            config, _ = WahaConfiguration.objects.get_or_create(
                tenant=tenant, defaults={"session_name": name}
            )
    except IntegrityError:  # another hotel claimed the one session a moment ago
        owner = session_owner(name)
        raise SessionTaken(owner.tenant_name if owner else "another hotel") from None
    if config.session_name != name:  # the installation switched between Core and multi-session
        config.session_name = name
        with acting_for_tenant(tenant.id):
            config.save(update_fields=["session_name", "updated_at"])
    desired = session_config(tenant)
    with client() as waha:
        try:
            status = waha.create_session(name, desired)
        except WahaError as exc:
            if exc.status != 422 or "already exists" not in exc.message:
                raise
            # The session survived from an earlier connect: bring its config up to date, start.
            waha.update_session(name, desired)
            status = waha.start(name)
    log.info("whatsapp_connect_started", session=name)
    audit.record(tenant, wa_audit.CONNECTED, config)  # the actor: the request's user
    return _store_status(config, status)


def refresh(tenant: Tenant) -> WahaConfiguration | None:
    """Ask WAHA how the session is, and remember it."""
    config = configuration_for(tenant)
    if config is None:
        return None
    try:
        with client() as waha:
            state = waha.get_session(config.session_name)
    except WahaError as exc:
        if exc.code == "not_found":
            return _store_status(config, SessionStatus.STOPPED)
        config.last_error = exc.message
        with acting_for_tenant(config.tenant_id):
            config.save(update_fields=["last_error", "updated_at"])
        raise
    return store_state(config, state)


def store_state(
    config: WahaConfiguration, state: SessionState, *, observed_at: dt.datetime | None = None
) -> WahaConfiguration:
    """Remember what WAHA said, unless we already know something newer.

    `observed_at` is when WAHA saw the state (webhooks); retried webhooks arrive late and out of
    order, and a late SCAN_QR_CODE must not undo WORKING."""
    if (
        observed_at is not None
        and config.status_changed_at is not None
        and observed_at < config.status_changed_at
    ):
        return config
    if state.me is not None:
        config.phone_number = state.me.phone
        config.push_name = state.me.push_name
    return _store_status(config, state.status, observed_at=observed_at)


def _store_status(
    config: WahaConfiguration, status: str, *, observed_at: dt.datetime | None = None
) -> WahaConfiguration:
    new_status = SessionStatus.from_waha(status)
    fields = ["updated_at"]
    if config.status != new_status or observed_at is not None:
        # The time of the newest state we know, from WAHA's clock when it says (webhooks).
        config.status = new_status
        config.status_changed_at = observed_at or timezone.now()
        fields += ["status", "status_changed_at"]
    if new_status in (SessionStatus.STOPPED, SessionStatus.SCAN_QR_CODE):
        config.phone_number, config.push_name = "", ""
    fields += ["phone_number", "push_name"]
    if new_status == SessionStatus.WORKING:
        config.last_error = ""
        fields.append("last_error")
    # Written for the hotel by the system: staff watching the page may not write settings.
    with acting_for_tenant(config.tenant_id):
        config.save(update_fields=fields)
    return config


def qr_png(tenant: Tenant) -> bytes:
    config = configuration_for(tenant)
    if config is None:
        raise WahaError("Connect first: there is no session yet", retryable=False, code="not_found")
    with client() as waha:
        return waha.qr_png(config.session_name)


def disconnect(tenant: Tenant) -> None:
    """Log the phone out and stop the session, and let go of it: with WAHA Core another hotel
    may then connect the one session."""
    config = configuration_for(tenant)
    if config is None:
        return
    try:
        with client() as waha:
            waha.logout(config.session_name)
            waha.stop(config.session_name)
    except WahaError as exc:
        if exc.code != "not_found":
            log.error(
                "whatsapp_disconnect_failed",
                error=exc.message,
                error_category=ErrorCategory.RETRYABLE
                if exc.retryable
                else ErrorCategory.INTEGRATION,
            )
            raise
    log.info("whatsapp_disconnected", session=config.session_name)
    audit.record(tenant, wa_audit.DISCONNECTED, config)
    config.delete()
