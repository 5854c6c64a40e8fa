"""The demo hotel's inbox (seed_demo): a guest in the house who ordered dinner and asked for
towels on WhatsApp, answered by the embedded concierge for real: its tools wrote the order and
the request, and its lines show in the thread. Nothing is sent (the demo has no WhatsApp)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from agent.concierge import answer_with_engine
from conversations import services
from conversations.models import Conversation
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

GUEST_WORDS = [
    "Selamat malam, saya mau pesan 2 nasi goreng dan 2 es teh manis",
    "ya",
    "Boleh minta 2 handuk tambahan?",
    "Jam berapa sarapan besok?",
]


@dataclass(frozen=True)
class _Turn:
    tenant: Tenant
    conversation: Conversation
    guest: Guest
    reservation: Reservation
    messages: list[MessageLog]

    @property
    def text(self) -> str:
        return "\n".join(message.body for message in self.messages)


def seed_conversation(tenant: Tenant) -> bool:
    """Once per hotel; False when it has conversations already or nobody is in the house."""
    with acting_for_tenant(tenant.id):
        if Conversation.objects.filter(tenant=tenant).exists():
            return False
        stay = (
            Reservation.objects.filter(
                tenant=tenant,
                status=ReservationStatus.ON_STAY,
                room_number__gt="",
                guest__language="id",
            )
            .exclude(guest__phone_e164="")
            .select_related("guest")
            .order_by("room_number")
            .first()
        )
    if stay is None:
        return False
    guest = stay.guest
    chat_id = guest.phone_e164.lstrip("+") + "@c.us"
    with acting_for_tenant(tenant.id):
        conversation = services.for_chat(
            tenant, chat_id, phone=guest.phone_e164, guest=guest, reservation=stay
        )
    for words in GUEST_WORDS:
        _one_turn(tenant, conversation, guest, stay, chat_id, words)
    return True


def _one_turn(
    tenant: Tenant,
    conversation: Conversation,
    guest: Guest,
    stay: Reservation,
    chat_id: str,
    words: str,
) -> None:
    with acting_for_tenant(tenant.id):
        message = MessageLog.objects.create(
            tenant=tenant,
            direction=Direction.INBOUND,
            guest=guest,
            reservation=stay,
            body=words,
            chat_id=chat_id,
            status=MessageStatus.RECEIVED,
            waha_message_id=f"demo_{uuid.uuid4().hex}",
        )
        services.record_guest_message(tenant, conversation, message)
    answer = answer_with_engine(_Turn(tenant, conversation, guest, stay, [message]))
    with acting_for_tenant(tenant.id):
        for line in answer.staff_lines:
            services.system_line(tenant, conversation, line)
        if answer.text:
            reply = MessageLog.objects.create(
                tenant=tenant,
                direction=Direction.OUTBOUND,
                origin=MessageOrigin.AGENT,
                guest=guest,
                reservation=stay,
                body=answer.text,
                language_code=answer.language,
                chat_id=chat_id,
                status=MessageStatus.READ,
                sent_at=timezone.now(),
            )
            services.record_outbound(tenant, conversation, reply)
        if answer.escalate:
            services.escalate(tenant, conversation, answer.escalate)
        Conversation.objects.filter(pk=conversation.pk).update(answered_through=message.pk)
