"""The message log's personal data (hotel.personal_data), registered in MessagingConfig.ready."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hotel.models import Guest
from hotel.personal_data import Holding
from innbox.phones import chat_id_for
from messaging.models import MessageLog


def _unmatched_from_the_guest(rows: QuerySet[Any], guest: Guest) -> QuerySet[Any]:
    """Messages in the guest's chat that no guest was matched to (written before Innbox knew
    the number, or left behind by an earlier erasure of the link)."""
    chats = {guest.whatsapp_chat_id}
    if guest.phone_e164:
        chats.add(chat_id_for(guest.phone_e164))
    chats.discard("")
    if not chats:
        return rows.none()
    return rows.filter(guest__isnull=True, chat_id__in=chats)


def messages() -> Holding:
    return Holding(
        model=MessageLog,
        name="messages",
        guest="guest",
        export=[
            "public_id",
            "reservation",
            "direction",
            "origin",
            "language_code",
            "body",
            "status",
            "created_at",
            "sent_at",
            "delivered_at",
            "read_at",
        ],
        # The row stays (direction, origin, status, times) for the hotel's counts; the words,
        # the chat and WhatsApp's id (which embeds the number) go. A failure reason may quote
        # the number WhatsApp refused.
        erase={"body": "", "chat_id": "", "waha_message_id": None, "failure_reason": ""},
        mentions=_unmatched_from_the_guest,
        unlinked_age="created_at",
    )
