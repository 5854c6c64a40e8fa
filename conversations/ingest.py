"""Guests' messages, handed up by the WhatsApp transport (whatsapp.inbound.on_guest_message).

Who wrote: a stay's click-to-chat token proves the link was handed to that guest (and links their
chat, with consent); otherwise the sender's number finds a known guest. A booking code proves
nothing about who writes: from a known guest it picks which of their stays they mean, from an
unknown number it links nothing. The message is stored either way, so staff see it.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from conversations import opt_out, services, turns
from conversations.models import Conversation
from hotel.consent import record_consent_change
from hotel.models import ConsentChange, ConsentSource, Guest, Reservation
from innbox.logs import ErrorCategory, get_logger
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.models import Tenant
from whatsapp import click_to_chat, inbound

log = get_logger(__name__)
_BOOKING_CODE_CANDIDATE = re.compile(r"\b[A-Z0-9][A-Z0-9-]{3,31}\b", re.IGNORECASE)


def store_guest_message(tenant: Tenant, incoming: inbound.GuestMessage) -> str:
    """Store a message of a guest's chat once, in its conversation, all in the webhook's
    transaction: a crash loses nothing, and nothing slow runs inside the request.

    A guest's message is matched to the guest and the stay it concerns; a STOP or START is
    applied here (conversations.opt_out); anything else queues the conversation's turn
    (conversations.turns), keyed by the WhatsApp message id so a redelivery does nothing, and
    due after the burst window so a guest's quick messages are answered as one. History that
    WhatsApp syncs after pairing is stored for staff, never answered. A message typed on the
    hotel's phone is the hotel's own: people hold the conversation from then on."""
    if incoming.from_hotel_phone:
        return _store_hotel_phone_message(tenant, incoming)
    message = _store(tenant, incoming)
    if message is None:
        return "ignored"
    # A stay's link forwarded to someone else reaches staff on that stay, but does not make
    # the stranger's chat the guest's: the concierge must not act (order, request) for a room
    # on a forwarded link's word.
    trusted = _chat_is_the_guests(message.guest, incoming.chat_id, incoming.phone)
    conversation = services.for_chat(
        tenant,
        incoming.chat_id,
        phone=incoming.phone,
        guest=message.guest if trusted else None,
        reservation=message.reservation if trusted else None,
    )
    services.record_guest_message(
        tenant, conversation, message, unread=not incoming.before_connection
    )
    if opt_out.command_for(tenant, message.body) is not None:
        opt_out.apply(tenant, message)
    elif not incoming.before_connection:
        turns.queue_turn(tenant, conversation, message, incoming.message_id)
    return "stored"


def _store_hotel_phone_message(tenant: Tenant, incoming: inbound.GuestMessage) -> str:
    guest = _guest_by_phone(tenant, incoming.phone)
    message, created = MessageLog.objects.get_or_create(
        tenant=tenant,
        waha_message_id=incoming.message_id,
        defaults={
            "direction": Direction.OUTBOUND,
            "origin": MessageOrigin.HOTEL_PHONE,
            "guest": guest,
            "body": incoming.body,
            "chat_id": incoming.chat_id,
            "status": MessageStatus.SENT,
            "sent_at": incoming.sent_at or timezone.now(),
        },
    )
    if not created:
        return "ignored"  # one of ours, or a redelivery
    conversation = services.for_chat(tenant, incoming.chat_id, phone=incoming.phone, guest=guest)
    if incoming.before_connection:
        services.record_outbound(tenant, conversation, message)
    else:
        services.record_hotel_phone_message(tenant, conversation, message)
    log.info("hotel_phone_message_received", guest_matched=guest is not None)
    return "stored"


def _store(tenant: Tenant, incoming: inbound.GuestMessage) -> MessageLog | None:
    chat_id, phone, session = incoming.chat_id, incoming.phone, incoming.session
    body = incoming.body
    reservation = _reservation_by_chat_token(tenant, body)
    guest = reservation.guest if reservation else _guest_by_phone(tenant, phone)
    consented = False
    if reservation is not None:
        consented = _link_chat(reservation.guest, chat_id, phone, session)
    elif guest is not None:
        reservation = _reservation_by_booking_code(guest, body) or services.current_stay(
            tenant, guest
        )
    message, created = MessageLog.objects.get_or_create(
        tenant=tenant,
        waha_message_id=incoming.message_id,
        defaults={
            "direction": Direction.INBOUND,
            "guest": guest,
            "reservation": reservation,
            "body": body,
            "chat_id": chat_id,
            "status": MessageStatus.RECEIVED,
        },
    )
    if consented and guest is not None and reservation is not None:
        # The guest's consent, with the message that gave it and the words the link opened with.
        language = guest.language or tenant.default_language
        record_consent_change(
            guest,
            ConsentChange.CONSENT_GIVEN,
            ConsentSource.CHAT_TOKEN,
            at=guest.consent_at,
            text_shown=click_to_chat.stay_text(tenant.name, reservation.chat_token, language),
            message_id=message.pk,
        )
    log.info(
        "guest_message_received",
        guest_matched=guest is not None,
        reservation_id=reservation.pk if reservation else None,
    )
    return message if created else None


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


def _chat_is_the_guests(guest: Guest | None, chat_id: str, phone: str | None) -> bool:
    """Whether a chat may be this guest's: they have none yet, it is theirs, or it writes from
    their number. A stay's link forwarded elsewhere is none of these."""
    if guest is None or not guest.whatsapp_chat_id:
        return True
    return guest.whatsapp_chat_id == chat_id or guest.phone_e164 == phone


def _link_chat(guest: Guest, chat_id: str, phone: str | None, session: str) -> bool:
    """The guest wrote first through their stay's link: their chat and their consent. True
    when this gave the consent (the caller records it with the message).

    Only a guest with no chat yet, or one writing from their own number, is linked: a link can
    be forwarded, and must not move an existing guest's chat elsewhere. The message itself still
    reaches staff on the reservation."""
    if not _chat_is_the_guests(guest, chat_id, phone):
        log.warning(
            "chat_token_from_another_chat",
            reservation_guest=guest.pk,
            session=session,
            error_category=ErrorCategory.VALIDATION,
        )
        return False
    guest.whatsapp_chat_id = chat_id
    fields = ["whatsapp_chat_id", "updated_at"]
    if phone and not guest.phone_e164:
        guest.phone_e164 = phone
        fields.append("phone_e164")
    consented = guest.consent_at is None
    if consented:
        guest.consent_at = timezone.now()
        guest.consent_source = "whatsapp_chat_token"
        fields += ["consent_at", "consent_source"]
    guest.save(update_fields=fields)
    return consented


def mark_read(tenant: Tenant) -> int:
    """Every guest message of the hotel read by staff (the dashboard's "mark all read")."""
    with transaction.atomic():
        Conversation.objects.filter(tenant=tenant, unread_count__gt=0).update(unread_count=0)
        return MessageLog.objects.filter(
            tenant=tenant, direction=Direction.INBOUND, staff_read_at__isnull=True
        ).update(staff_read_at=timezone.now())
