"""What the on-stay agent records for staff: room-service orders and housekeeping requests."""

from __future__ import annotations

from django.db import models

from innbox.models import PublicIdMixin, TimestampedModel
from tenancy.models import TenantScopedModel


class OrderStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    CONFIRMED = "confirmed", "Confirmed"
    PREPARING = "preparing", "Preparing"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class RoomServiceOrder(PublicIdMixin, TenantScopedModel, TimestampedModel):
    reservation = models.ForeignKey(
        "hotel.Reservation", on_delete=models.CASCADE, related_name="room_service_orders"
    )
    guest = models.ForeignKey("hotel.Guest", on_delete=models.CASCADE, related_name="+")
    room_number = models.CharField(max_length=16)
    # [{"name": ..., "quantity": ..., "notes": ...}], as confirmed with the guest.
    items = models.JSONField(default=list)
    notes = models.TextField(blank=True)
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
    CLEANING = "cleaning", "Room cleaning"
    TOWELS = "towels", "Towels"
    AMENITIES = "amenities", "Amenities"
    MAINTENANCE = "maintenance", "Maintenance"
    OTHER = "other", "Other"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


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
