"""What WAHA tells us: a guest wrote, a message was delivered or read, the session changed.

Each authentic event is stored once (inbound_events, unique per tenant and event id) in the same
transaction as its effects, so a redelivery finds the event and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from uuid import UUID

import django.dispatch
from django.db import transaction
from django.db.models import Case, IntegerField, Q, When
from django.utils import timezone
from pydantic import ValidationError

from automation.events import MAX_EVENT_ID_LENGTH, effects_of_an_event, record_once
from automation.models import EventSource
from hotel.models import Guest, Reservation, ReservationStatus
from innbox import json_input
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from innbox.phones import e164_from_chat_id
from messaging.models import Direction, MessageLog, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import click_to_chat, sessions
from whatsapp.models import WahaConfiguration
from whatsapp.schemas import AckPayload, Envelope, MessagePayload, SessionStatusPayload
from whatsapp.waha import SessionState, parse_me

log = get_logger(__name__)

# The hook for whoever answers guests (the AI agent, later): sent once per new guest message,
# after it is stored and committed, with `message` (a MessageLog) and `tenant`.
guest_message_received = django.dispatch.Signal()

# Delivery states only move forward: a late "sent" never undoes "read".
_PROGRESS = [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ]
_ACK_TO_STATUS = {
    1: MessageStatus.SENT,
    2: MessageStatus.DELIVERED,
    3: MessageStatus.READ,
    4: MessageStatus.READ,  # PLAYED (voice): read and more
}
_BOOKING_CODE_CANDIDATE = re.compile(r"\b[A-Z0-9][A-Z0-9-]{3,31}\b", re.IGNORECASE)


class RetryLater(Exception):
    """Not applicable yet (an ack for a message whose send we have not recorded): store nothing,
    let WAHA deliver it again."""


class Unacceptable(ValueError):
    """Authentic but unusable, whatever the retry: refused with this reason, nothing stored."""


Payload = MessagePayload | AckPayload | SessionStatusPayload
_PAYLOADS: dict[str, type[Payload]] = {
    "message": MessagePayload,
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
    new_guest_message: MessageLog | None = None
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
            if isinstance(payload, MessagePayload):
                new_guest_message = _guest_message(tenant, envelope.session, payload)
                outcome = "stored" if new_guest_message else "ignored"
            elif isinstance(payload, AckPayload):
                outcome = _ack(tenant, payload)
            elif isinstance(payload, SessionStatusPayload):
                outcome = _session_status(tenant, envelope, payload)
            else:
                outcome = "ignored"
    if new_guest_message is not None:
        guest_message_received.send(sender=MessageLog, message=new_guest_message, tenant=tenant)
    return outcome


def _guest_message(tenant: Tenant, session: str, payload: MessagePayload) -> MessageLog | None:
    if payload.from_me or not payload.from_.endswith(("@c.us", "@lid", "@s.whatsapp.net")):
        return None  # our own echo, a group or a broadcast: not a guest talking to the hotel
    chat_id = _phone_chat_id(session, payload.from_)
    phone = e164_from_chat_id(chat_id) if chat_id else None
    body = payload.body or ("[media]" if payload.has_media else "")
    reservation = _reservation_by_chat_token(tenant, body)
    guest = reservation.guest if reservation else _guest_by_phone(tenant, phone)
    if reservation is not None:
        _link_chat(reservation.guest, chat_id or payload.from_, phone, session)
    elif guest is not None:
        reservation = _reservation_by_booking_code(guest, body) or _current_reservation(guest)
    message, created = MessageLog.objects.get_or_create(
        tenant=tenant,
        waha_message_id=payload.id,
        defaults={
            "direction": Direction.INBOUND,
            "guest": guest,
            "reservation": reservation,
            "body": body,
            "chat_id": chat_id or payload.from_,
            "status": MessageStatus.RECEIVED,
        },
    )
    log.info(
        "guest_message_received",
        guest_matched=guest is not None,
        reservation_id=reservation.pk if reservation else None,
    )
    return message if created else None


def _phone_chat_id(session: str, sender: str) -> str | None:
    """WhatsApp may hide the sender's number behind an @lid; ask WAHA for the number."""
    if not sender.endswith("@lid"):
        return sender.replace("@s.whatsapp.net", "@c.us")
    try:
        return sessions.client().phone_for_lid(session, sender)
    except (IntegrationError, sessions.Sandbox) as exc:
        log.warning("lid_lookup_failed", error=str(exc), error_category=ErrorCategory.RETRYABLE)
        return None


def _reservation_by_chat_token(tenant: Tenant, text: str) -> Reservation | None:
    """The stay whose click-to-chat link the message came from: its token proves the link was
    handed to this guest, as a guessable booking code cannot."""
    tokens = click_to_chat.chat_tokens_in(text)
    if not tokens:
        return None
    return (
        Reservation.objects.filter(tenant=tenant, chat_token__in=tokens)
        .select_related("guest")
        .first()
    )


def _reservation_by_booking_code(guest: Guest, text: str) -> Reservation | None:
    """Which of a known guest's own stays they quote; it proves nothing about who writes."""
    candidates = {match.upper() for match in _BOOKING_CODE_CANDIDATE.findall(text or "")}
    if not candidates:
        return None
    return (
        Reservation.objects.filter(guest=guest, booking_code__in=candidates)
        .exclude(booking_code="")
        .order_by("-check_in")
        .first()
    )


def _guest_by_phone(tenant: Tenant, phone: str | None) -> Guest | None:
    if not phone:
        return None
    return Guest.objects.filter(tenant=tenant, phone_e164=phone).order_by("-updated_at").first()


def _current_reservation(guest: Guest) -> Reservation | None:
    """The stay a message most likely concerns: the one in house, else the next arrival."""
    today = timezone.localdate()
    return (
        Reservation.objects.filter(guest=guest)
        .filter(
            Q(status=ReservationStatus.ON_STAY)
            | Q(status=ReservationStatus.PRE_ARRIVAL, check_in__gte=today)
        )
        .order_by(
            Case(
                When(status=ReservationStatus.ON_STAY, then=0),
                default=1,
                output_field=IntegerField(),
            ),
            "check_in",
        )
        .first()
    )


def _link_chat(guest: Guest, chat_id: str, phone: str | None, session: str) -> None:
    """The guest wrote first through their stay's link: their chat and their consent.

    Only a guest with no chat yet, or one writing from their own number, is linked: a link can
    be forwarded, and must not move an existing guest's chat elsewhere. The message itself still
    reaches staff on the reservation."""
    if guest.whatsapp_chat_id and guest.whatsapp_chat_id != chat_id and guest.phone_e164 != phone:
        log.warning(
            "chat_token_from_another_chat",
            reservation_guest=guest.pk,
            session=session,
            error_category=ErrorCategory.VALIDATION,
        )
        return
    guest.whatsapp_chat_id = chat_id
    fields = ["whatsapp_chat_id", "updated_at"]
    if phone and not guest.phone_e164:
        guest.phone_e164 = phone
        fields.append("phone_e164")
    if guest.consent_at is None:
        guest.consent_at = timezone.now()
        guest.consent_source = "whatsapp_chat_token"
        fields += ["consent_at", "consent_source"]
    guest.save(update_fields=fields)


def _ack(tenant: Tenant, payload: AckPayload) -> str:
    new_status = _ACK_TO_STATUS.get(payload.ack)
    if payload.ack == -1:
        updated = MessageLog.objects.filter(
            tenant=tenant, waha_message_id=payload.id, status__in=_PROGRESS[:2]
        ).update(
            status=MessageStatus.FAILED,
            failure_reason="WhatsApp reported an error delivering this message",
            updated_at=timezone.now(),
        )
        if (
            not updated
            and not MessageLog.objects.filter(tenant=tenant, waha_message_id=payload.id).exists()
        ):
            raise RetryLater(f"no message {payload.id} yet")
        return "failed" if updated else "unchanged"
    if new_status is None:
        return "ignored"
    earlier = _PROGRESS[: _PROGRESS.index(new_status)]
    stamp = {
        MessageStatus.SENT: "sent_at",
        MessageStatus.DELIVERED: "delivered_at",
        MessageStatus.READ: "read_at",
    }[new_status]
    # One conditional UPDATE: concurrent or out-of-order acks can only move a message forward.
    updated = MessageLog.objects.filter(
        tenant=tenant, waha_message_id=payload.id, status__in=earlier
    ).update(status=new_status, **{stamp: timezone.now()}, updated_at=timezone.now())
    if updated:
        return new_status.value
    if not MessageLog.objects.filter(tenant=tenant, waha_message_id=payload.id).exists():
        # The ack can overtake the send's own bookkeeping: ask WAHA to deliver it again.
        raise RetryLater(f"no message {payload.id} yet")
    return "unchanged"


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


def mark_read(tenant: Tenant) -> int:
    with transaction.atomic():
        return MessageLog.objects.filter(
            tenant=tenant, direction=Direction.INBOUND, staff_read_at__isnull=True
        ).update(staff_read_at=timezone.now())
