"""One conversation per hotel and guest chat: who holds it, what is unread, what staff noted.

The messages themselves stay in `message_logs` (messaging): a conversation's thread is the
hotel's messages in its chat (`chat_id`), plus its guest's messages that have no chat yet
(queued, or failed before WhatsApp named one). No copy, so a delivery tick lands once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from innbox.models import PublicIdMixin, TimestampedModel
from tenancy.models import TenantScopedModel


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Holder(models.TextChoices):
    """Who answers the guest: the concierge, or people (then the concierge stays silent)."""

    AGENT = "agent", _("Concierge")
    STAFF = "staff", _("Staff")


class Conversation(PublicIdMixin, TenantScopedModel, TimestampedModel):
    # "<digits>@c.us" (or WhatsApp's @lid when the number is hidden): one conversation per chat.
    chat_id = models.CharField(max_length=64)
    phone_e164 = models.CharField(max_length=20, blank=True)
    # WhatsApp's display name of an unknown sender, so staff see more than a number.
    contact_name = models.CharField(max_length=100, blank=True)
    guest = models.ForeignKey(
        "hotel.Guest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    # The stay it concerns: the guest's active or next one, when the last message came.
    reservation = models.ForeignKey(
        "hotel.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    status = models.CharField(
        max_length=8, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=160, blank=True)
    last_message_inbound = models.BooleanField(default=False)
    unread_count = models.PositiveIntegerField(default=0)
    holder = models.CharField(max_length=8, choices=Holder.choices, default=Holder.AGENT)
    # The staff member who took over; NULL while staff hold it means the hotel's own phone.
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    held_since = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The newest guest message a turn has answered (message_logs.id): a turn answers the guest's
    # messages after it, so a burst is one turn and nothing is answered twice.
    answered_through = models.BigIntegerField(default=0)
    # The per-conversation lease of the turn running now (one turn at a time, across workers).
    turn_owner = models.CharField(max_length=128, blank=True)
    turn_lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "conversations"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "chat_id"], name="conversations_one_per_chat"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ConversationStatus.values),
                name="conversations_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(holder__in=Holder.values), name="conversations_holder_valid"
            ),
        ]
        indexes = [
            # The inbox: newest activity first, within a tab.
            models.Index(
                fields=["tenant", "status", "-last_message_at"], name="conversations_recent_idx"
            ),
            models.Index(fields=["tenant", "-last_message_at"], name="conversations_all_idx"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.public_id} ({self.chat_id})"

    @property
    def held_by_staff(self) -> bool:
        return self.holder == Holder.STAFF


class NoteKind(models.TextChoices):
    NOTE = "note", _("Internal note")
    EVENT = "event", _("Event")  # taken over, assigned, closed...: a msgid and its params
    SYSTEM = "system", _("Concierge")  # a tool call of the concierge and its result


class ConversationNote(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """A line in the thread that the guest never sees: a staff note, or what happened (taken
    over, handed back, assigned, closed, a concierge's tool call and its result)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=8, choices=NoteKind.choices, default=NoteKind.NOTE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField()
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "conversation_notes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=NoteKind.values), name="conversation_notes_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="conversation_notes_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.conversation_id}"


class SavedReply(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """A hotel's canned answer: a short name staff pick, a text with variables ({{guestName}})."""

    name = models.CharField(max_length=60)
    body = models.TextField()

    class Meta:
        db_table = "saved_replies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="saved_replies_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
