"""What the on-stay agent records for staff (room-service orders, housekeeping requests) and
what it knows (the hotel's menu and knowledge base)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from innbox.models import PublicIdMixin, TimestampedModel
from tenancy.models import TenantScopedModel


class OrderStatus(models.TextChoices):
    # The "new": the value stays "received" (what the agent writes), staff read "New".
    RECEIVED = "received", _("New")
    CONFIRMED = "confirmed", _("Confirmed")
    PREPARING = "preparing", _("Preparing")
    # Brought to the room (a WhatsApp message's "Delivered" is another word in Indonesian).
    DELIVERED = "delivered", pgettext_lazy("room service order", "Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class RoomServiceOrder(PublicIdMixin, TenantScopedModel, TimestampedModel):
    reservation = models.ForeignKey(
        "hotel.Reservation", on_delete=models.CASCADE, related_name="room_service_orders"
    )
    guest = models.ForeignKey("hotel.Guest", on_delete=models.CASCADE, related_name="+")
    room_number = models.CharField(max_length=16)
    # [{"name": ..., "quantity": ..., "notes": ...}], as confirmed with the guest.
    items = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    # What the guest agreed to pay, in `currency` (ISO 4217, "IDR"); NULL when not priced.
    total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )

    class Meta:
        db_table = "room_service_orders"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OrderStatus.values),
                name="room_service_orders_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(total__isnull=True) | models.Q(total__gte=0),
                name="room_service_orders_total_not_negative",
            ),
        ]
        indexes = [
            # The kitchen's open orders, oldest first.
            models.Index(
                fields=["tenant", "status", "created_at"], name="room_service_orders_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.public_id} for room {self.room_number}"


class HousekeepingType(models.TextChoices):
    CLEANING = "cleaning", _("Room cleaning")
    TOWELS = "towels", _("Towels")
    AMENITIES = "amenities", _("Amenities")
    MAINTENANCE = "maintenance", _("Maintenance")
    OTHER = "other", _("Other")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class HousekeepingRequest(PublicIdMixin, TenantScopedModel, TimestampedModel):
    reservation = models.ForeignKey(
        "hotel.Reservation", on_delete=models.CASCADE, related_name="housekeeping_requests"
    )
    guest = models.ForeignKey("hotel.Guest", on_delete=models.CASCADE, related_name="+")
    room_number = models.CharField(max_length=16)
    request_type = models.CharField(max_length=16, choices=HousekeepingType.choices)
    details = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )

    class Meta:
        db_table = "housekeeping_requests"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values),
                name="housekeeping_requests_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(request_type__in=HousekeepingType.values),
                name="housekeeping_requests_type_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "status", "created_at"], name="housekeeping_requests_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_type} for room {self.room_number}"


class BoardSettings(TenantScopedModel, TimestampedModel):
    """How the orders and requests boards behave for one hotel; no row means the defaults."""

    # A move on a board (confirmed, delivered, done...) is told to the guest on WhatsApp.
    notify_guests = models.BooleanField(default=True)

    class Meta:
        db_table = "board_settings"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="board_settings_one_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"board settings of {self.tenant_id}"


class MenuCategory(models.TextChoices):
    FOOD = "food", _("Food")
    DRINKS = "drinks", _("Drinks")
    DESSERT = "dessert", _("Dessert")
    SNACKS = "snacks", _("Snacks")
    OTHER = "other", _("Other")


class MenuItem(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """One dish or drink guests may order to their room (/settings/menu/).

    The agent matches what a guest writes against `name` and `aliases` (the names guests use in
    other languages: "fried rice" for Nasi Goreng); an inactive item is never offered nor sold.
    """

    name = models.CharField(max_length=80)
    # Comma-separated: what guests may call it, in any language.
    aliases = models.CharField(max_length=300, blank=True)
    # In the hotel's currency (agent.menu.hotel_currency).
    price = models.DecimalField(max_digits=12, decimal_places=2)
    category = models.CharField(
        max_length=10, choices=MenuCategory.choices, default=MenuCategory.FOOD
    )
    # Both empty: all day. Until earlier than from: served past midnight (22:00 → 02:00).
    available_from = models.TimeField(null=True, blank=True)
    available_until = models.TimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "menu_items"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="menu_items_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=MenuCategory.values),
                name="menu_items_category_valid",
            ),
            # Both hours or neither: half a window means nothing.
            models.CheckConstraint(
                condition=models.Q(available_from__isnull=True, available_until__isnull=True)
                | models.Q(available_from__isnull=False, available_until__isnull=False),
                name="menu_items_hours_both_or_neither",
            ),
            # Two items of one name would make "2 nasi goreng" ambiguous.
            models.UniqueConstraint(Lower("name"), "tenant", name="menu_items_unique_name"),
        ]
        indexes = [
            # The menu page and the agent's matcher: a hotel's items by category and name.
            models.Index(fields=["tenant", "category", "name"], name="menu_items_tenant_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [alias.strip() for alias in self.aliases.split(",") if alias.strip()]

    @property
    def all_day(self) -> bool:
        return self.available_from is None or self.available_until is None

    def served_at(self, moment: dt.time) -> bool:
        if self.available_from is None or self.available_until is None:
            return True
        start, end = self.available_from, self.available_until
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end  # past midnight


class KnowledgeEntry(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """A question guests ask and the hotel's own answer (/settings/knowledge/): the only
    source the agent answers questions from."""

    question = models.CharField(max_length=300)
    answer = models.TextField(max_length=2000)
    # ISO 639-1 of the question and answer.
    language = models.CharField(max_length=8, default="en")
    # Optional: entries sharing a topic are one answer in several languages, so a guest gets
    # the one in their language and retrieval does not see two rivals in them.
    topic = models.CharField(max_length=40, blank=True)
    # The entry's multilingual embedding (agent.retrieval), computed when it is saved; empty
    # when no embedding model is installed. `embedding_model` says which model made it.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        db_table = "knowledge_entries"
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("question"), 3),
                name="knowledge_entries_question_not_blank",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "topic", "language"], name="knowledge_tenant_idx"),
        ]

    def __str__(self) -> str:
        return self.question


class PendingOrder(TenantScopedModel, TimestampedModel):
    """An order the agent drafted and the guest has not confirmed yet: one per conversation.

    Only code that recognises the guest's "yes" turns it into a RoomServiceOrder (agent.tools);
    a new draft replaces it, a "no" deletes it, and past `expires_at` it is worth nothing.
    """

    conversation_key = models.CharField(max_length=128)
    reservation = models.ForeignKey("hotel.Reservation", on_delete=models.CASCADE, related_name="+")
    guest = models.ForeignKey("hotel.Guest", on_delete=models.CASCADE, related_name="+")
    # [{"menu_item": public id, "name", "quantity", "unit_price": "45000.00"}]
    items = models.JSONField(default=list)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "agent_pending_orders"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "conversation_key"], name="agent_pending_orders_one_per_chat"
            ),
        ]

    def __str__(self) -> str:
        return f"draft order for {self.conversation_key}"


class FollowUpOutcome(models.TextChoices):
    # Written, waiting for the guest's answer.
    WAITING = "waiting", _("Waiting for the guest")
    # The guest's rating is stored (hotel.feedback.record, source chat).
    RECORDED = "recorded", _("Rating recorded")
    # No clear rating after one question (or a matter only staff settle): staff take it on.
    STAFF = "staff", _("Left to staff")


class FeedbackFollowUp(TenantScopedModel, TimestampedModel):
    """The concierge's one personal follow-up to a stay whose feedback form went unanswered
    (agent.follow_up): what it wrote, whether it asked again for a rating, how it ended.

    One per stay (the unique constraint, beside the job's idempotency key). While `outcome` is
    waiting, the guest's next words in the chat are read as their answer, bound to this stay."""

    reservation = models.ForeignKey("hotel.Reservation", on_delete=models.CASCADE, related_name="+")
    guest = models.ForeignKey("hotel.Guest", on_delete=models.CASCADE, related_name="+")
    # The follow-up as queued (its chat, its delivery); NULL if it was never written.
    message = models.ForeignKey(
        "messaging.MessageLog", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(
        max_length=10, choices=FollowUpOutcome.choices, default=FollowUpOutcome.WAITING
    )
    # Set when the concierge asked once more for a 1-5 rating: the next unclear answer goes to
    # staff instead of a second question.
    asked_rating_at = models.DateTimeField(null=True, blank=True)
    # The guest's words so far, kept until a rating comes with or after them.
    comments = models.TextField(blank=True)

    class Meta:
        db_table = "agent_feedback_follow_ups"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reservation"], name="agent_feedback_follow_ups_one_per_stay"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=FollowUpOutcome.values),
                name="agent_feedback_follow_ups_outcome_valid",
            ),
        ]
        indexes = [
            # A guest's turn asks whether a follow-up waits for their answer.
            models.Index(fields=["guest", "outcome"], name="agent_follow_ups_guest_idx"),
        ]

    def __str__(self) -> str:
        return f"feedback follow-up for reservation {self.reservation_id} ({self.outcome})"
