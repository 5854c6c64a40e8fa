"""What WAHA tells us: a guest wrote, a message was delivered or read, the session changed.

Each authentic event is stored once (inbound_events, unique per tenant and event id) in the same
transaction as its effects, so a redelivery finds the event and changes nothing.

The transport knows no guests and no messages: a session change it applies itself; a guest's
message (its sender's number resolved) and a delivery ack it hands to the handler that the app
owning them registered (conversations: `on_guest_message`; messaging: `on_ack`), inside the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.utils import timezone
from pydantic import ValidationError

from automation.events import MAX_EVENT_ID_LENGTH, effects_of_an_event, record_once
from automation.models import EventSource
from innbox import json_input
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from innbox.phones import e164_from_chat_id
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import sessions
from whatsapp.models import WahaConfiguration
from whatsapp.schemas import AckPayload, Envelope, MessagePayload, SessionStatusPayload
from whatsapp.waha import SessionState, parse_me

log = get_logger(__name__)


@dataclass(frozen=True)
class GuestMessage:
    """A message in a chat between the hotel's number and one person (not a group): the person
    wrote, or (`from_hotel_phone`) someone typed it on the hotel's phone itself."""

    session: str
    message_id: str
    chat_id: str  # "<digits>@c.us" once WhatsApp's @lid is resolved, else as WAHA sent it
    phone: str | None  # E.164, when the chat id shows the number
    body: str
    sent_at: dt.datetime | None = None
    from_hotel_phone: bool = False
    # Written before the session was connected: history WhatsApp syncs after pairing. Stored
    # for staff to read, never answered.
    before_connection: bool = False


# One handler each, registered by the app that owns what the event means; "ignored" without.
GuestMessageHandler = Callable[[Tenant, GuestMessage], str]
AckHandler = Callable[[Tenant, "AckPayload"], str]
_HANDLERS: dict[str, Callable[..., str]] = {}


def on_guest_message(handler: GuestMessageHandler) -> None:
    _register("message", handler)


def on_ack(handler: AckHandler) -> None:
    _register("message.ack", handler)


def _register(event: str, handler: Callable[..., str]) -> None:
    """One owner per event: a second app claiming it is a wiring mistake, said at start-up."""
    if _HANDLERS.get(event, handler) is not handler:
        raise ValueError(f"WAHA {event} events already go to {_HANDLERS[event]!r}")
    _HANDLERS[event] = handler


class RetryLater(Exception):
    """Not applicable yet (an ack for a message whose send we have not recorded): store nothing,
    let WAHA deliver it again."""


class Unacceptable(ValueError):
    """Authentic but unusable, whatever the retry: refused with this reason, nothing stored."""


Payload = MessagePayload | AckPayload | SessionStatusPayload
_PAYLOADS: dict[str, type[Payload]] = {
    "message": MessagePayload,
    "message.any": MessagePayload,
    "message.ack": AckPayload,
    "session.status": SessionStatusPayload,
}


@dataclass(frozen=True)
class WahaEvent:
    envelope: Envelope
    payload: Payload | None  # None: an event Innbox does not act on
    id: str


def parse(envelope: Envelope) -> WahaEvent:
    """The event's payload and id, checked before anything is stored: Unacceptable, naming the
    field, for a payload that does not fit its schema or an id the store cannot keep whole."""
    schema = _PAYLOADS.get(envelope.event)
    try:
        payload = schema.model_validate(envelope.payload) if schema else None
    except ValidationError as problem:
        raise Unacceptable(json_input.describe(problem, under="payload")) from None
    identity = event_id(envelope, payload)
    if len(identity) > MAX_EVENT_ID_LENGTH:
        # Cut short it could equal another event's id and be taken for a redelivery of it.
        raise Unacceptable(f"event id longer than {MAX_EVENT_ID_LENGTH} characters")
    return WahaEvent(envelope=envelope, payload=payload, id=identity)


def event_id(envelope: Envelope, payload: Payload | None) -> str:
    """The envelope id where WAHA sends one (2025+); older servers: derived from the payload."""
    if envelope.id:
        return envelope.id
    if isinstance(payload, AckPayload):
        return f"{payload.id}:ack:{payload.ack}"
    if isinstance(payload, SessionStatusPayload):
        last = payload.statuses[-1] if payload.statuses else None
        if last is None or not last.timestamp:
            # Nothing tells two identical old-style status events apart; setting a status twice
            # is harmless, missing the second FAILED is not.
            return f"{envelope.session}:status:{uuid.uuid4().hex}"
        return f"{envelope.session}:status:{payload.status}:{last.timestamp}"
    if isinstance(payload, MessagePayload):
        return payload.id
    return str(envelope.payload.get("id") or "")


def handle(tenant_id: UUID, event: WahaEvent, request_id: str = "") -> str:
    """Apply one authentic event for its hotel. Returns what happened, for the response and log.

    Only the event's own row may mean "duplicate": an integrity error in its effects rolls the
    event back with them (ConcurrentChange for a unique key another event took first)."""
    envelope, payload = event.envelope, event.payload
    with acting_for_tenant(tenant_id):
        stored = record_once(
            tenant_id,
            EventSource.WAHA,
            event_id=event.id,
            event_type=envelope.event,
            payload=envelope.model_dump(mode="json", by_alias=True),
            request_id=request_id,
            processed_at=timezone.now(),
        )
        if not stored:
            return "duplicate"
        tenant = Tenant.objects.get(pk=tenant_id)
        with effects_of_an_event():
            if isinstance(payload, MessagePayload):  # "message" and "message.any"
                outcome = _guest_message(tenant, envelope.session, payload)
            elif isinstance(payload, AckPayload) and "message.ack" in _HANDLERS:
                outcome = _HANDLERS["message.ack"](tenant, payload)
            elif isinstance(payload, SessionStatusPayload):
                outcome = _session_status(tenant, envelope, payload)
            else:
                outcome = "ignored"
    return outcome


def _guest_message(tenant: Tenant, session: str, payload: MessagePayload) -> str:
    if "message" not in _HANDLERS:
        return "ignored"
    # The chat is the other person's: the sender of a guest's message, the addressee of one
    # typed on the hotel's phone. Our own API sends come back as echoes (source "api").
    # Only "app" is the phone: an engine that leaves `source` out must not turn every send of
    # ours into a person taking the conversation over.
    if payload.from_me and (payload.source != "app" or not payload.to):
        return "ignored"
    person = payload.to if payload.from_me else payload.from_
    if not person or not person.endswith(("@c.us", "@lid", "@s.whatsapp.net")):
        return "ignored"  # a group, a broadcast or a status: not a chat with one person
    chat_id = _phone_chat_id(session, person)
    sent_at = dt.datetime.fromtimestamp(payload.timestamp, tz=dt.UTC) if payload.timestamp else None
    incoming = GuestMessage(
        session=session,
        message_id=payload.id,
        chat_id=chat_id or person,
        phone=e164_from_chat_id(chat_id) if chat_id else None,
        body=payload.body or ("[media]" if payload.has_media else ""),
        sent_at=sent_at,
        from_hotel_phone=payload.from_me,
        before_connection=_before_connection(tenant, session, sent_at),
    )
    return _HANDLERS["message"](tenant, incoming)


def _before_connection(tenant: Tenant, session: str, sent_at: dt.datetime | None) -> bool:
    """Whether a message predates the session's connection (WhatsApp replays a chat's history
    after pairing): its status changed to WORKING after the message was written."""
    if sent_at is None:
        return False
    connected_at = (
        WahaConfiguration.objects.filter(tenant=tenant, session_name=session)
        .values_list("status_changed_at", flat=True)
        .first()
    )
    return connected_at is not None and sent_at < connected_at


def _phone_chat_id(session: str, sender: str) -> str | None:
    """WhatsApp may hide the sender's number behind an @lid; ask WAHA for the number."""
    if not sender.endswith("@lid"):
        return sender.replace("@s.whatsapp.net", "@c.us")
    try:
        return sessions.client().phone_for_lid(session, sender)
    except (IntegrationError, sessions.Sandbox) as exc:
        log.warning("lid_lookup_failed", error=str(exc), error_category=ErrorCategory.RETRYABLE)
        return None


def _session_status(tenant: Tenant, envelope: Envelope, payload: SessionStatusPayload) -> str:
    config = WahaConfiguration.objects.filter(tenant=tenant, session_name=envelope.session).first()
    if config is None:
        return "ignored"
    me = parse_me(envelope.me.model_dump(by_alias=True)) if envelope.me else None
    sessions.store_state(
        config,
        SessionState(name=envelope.session, status=payload.status, me=me),
        observed_at=_observed_at(envelope, payload),
    )
    return f"session {payload.status}"


def _observed_at(envelope: Envelope, payload: SessionStatusPayload) -> dt.datetime | None:
    """When WAHA saw the state: the newest of `statuses`, else the envelope's timestamp."""
    stamps = [point.timestamp for point in payload.statuses if point.timestamp]
    millis = max(stamps) if stamps else envelope.timestamp
    if not millis:
        return None
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
