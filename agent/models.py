"""What the on-stay agent records for staff: room-service orders and housekeeping requests."""

from __future__ import annotations

from django.db import models
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
