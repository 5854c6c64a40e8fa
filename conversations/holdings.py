"""The personal data of conversations (hotel.personal_data), registered in
ConversationsConfig.ready: the chat itself (its number, the sender's WhatsApp name, the last
message's words, why the concierge asked for a person) and the lines staff read in its thread.

An anonymised conversation keeps its row (status, times, who held it: the hotel's counts) but no
longer names its chat: its chat id becomes "erased:<row>", unique as the table needs, so the
guest's next message starts a new conversation instead of reopening the old thread.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from conversations.models import Conversation, ConversationNote, NoteKind
from hotel.holdings import guest_chats, guest_numbers
from hotel.models import Guest
from hotel.personal_data import Holding

ERASED = "erased:"


def erased_chat_id(conversation: Conversation) -> str:
    return f"{ERASED}{conversation.pk}"


def _unmatched_chats_of(rows: QuerySet[Any], guest: Guest, prefix: str = "") -> QuerySet[Any]:
    """Conversations of the guest's chats or numbers that no guest was matched to."""
    chats, numbers = guest_chats(guest), guest_numbers(guest)
    if not chats and not numbers:
        return rows.none()
    return rows.filter(
        Q(**{f"{prefix}chat_id__in": chats}) | Q(**{f"{prefix}phone_e164__in": numbers}),
        **{f"{prefix}guest__isnull": True},
    )


def _unmatched_notes_of(rows: QuerySet[Any], guest: Guest) -> QuerySet[Any]:
    return _unmatched_chats_of(rows, guest, prefix="conversation__")


def _params_blanked(note: ConversationNote) -> dict[str, str]:
    """An event's values emptied, its keys kept: the line still reads ("Asked for a person: ")
    and is marked done."""
    params = note.params if isinstance(note.params, dict) else {}
    return {**{key: "" for key in params}, ERASED.rstrip(":"): "1"}


def conversations() -> Holding:
    return Holding(
        model=Conversation,
        name="conversations",
        guest="guest",
        export=[
            "public_id",
            "reservation",
            "chat_id",
            "phone_e164",
            "contact_name",
            "status",
            "last_message_at",
            "last_message_preview",
            "escalated_at",
            "escalation_reason",
            "created_at",
        ],
        # The preview and the escalation reason quote the guest's words; the contact name is
        # their WhatsApp name.
        erase={
            "chat_id": erased_chat_id,
            "phone_e164": "",
            "contact_name": "",
            "last_message_preview": "",
            "escalation_reason": "",
        },
        mentions=_unmatched_chats_of,
        unlinked_age="last_message_at",
        done=Q(chat_id__startswith=ERASED),
    )


def notes() -> Holding:
    """Staff's notes and the concierge's lines (a tool call and its result): free text that may
    name the guest or quote them, emptied."""
    return Holding(
        model=ConversationNote,
        name="conversation_notes",
        guest="conversation__guest",
        export=["conversation", "kind", "body", "params", "created_at"],
        erase={"body": "", "params": {}},
        where=~Q(kind=NoteKind.EVENT),
        mentions=_unmatched_notes_of,
        unlinked_age="created_at",
    )


def events() -> Holding:
    """What happened in the thread (taken over, closed...): a msgid of Innbox's, kept, and its
    values, emptied (the concierge's reason for asking for a person quotes the guest)."""
    return Holding(
        model=ConversationNote,
        name="conversation_events",
        guest="conversation__guest",
        export=["conversation", "body", "params", "created_at"],
        erase={"params": _params_blanked},
        keep={"body": "a sentence of Innbox's own ('Closed.'), its values are in params"},
        where=Q(kind=NoteKind.EVENT),
        mentions=_unmatched_notes_of,
        unlinked_age="created_at",
        done=Q(params__has_key=ERASED.rstrip(":")),
    )
