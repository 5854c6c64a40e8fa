"""The hotel's WhatsApp session on WAHA, as last reported by WAHA."""

from __future__ import annotations

from django.db import models

from innbox.models import TimestampedModel
from tenancy.models import TenantScopedModel


class SessionStatus(models.TextChoices):
    # WAHA's own session states (api-facts.md, 1.3) ...
    STOPPED = "STOPPED", "Disconnected"
    STARTING = "STARTING", "Starting"
    SCAN_QR_CODE = "SCAN_QR_CODE", "Scan the QR code"
    WORKING = "WORKING", "Connected"
    FAILED = "FAILED", "Failed"
    # ... and ours: WAHA says WORKING but sends keep failing.
    DEGRADED = "DEGRADED", "Degraded"


class WahaConfiguration(TenantScopedModel, TimestampedModel):
    """waha_configurations: a settings table, written by owners and by the WAHA webhook."""

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="waha_configuration"
    )
    # WAHA Core serves only "default"; Plus (and newer free images) one session per tenant.
    session_name = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.STOPPED
    )
    phone_number = models.CharField(max_length=20, blank=True)
    push_name = models.CharField(max_length=100, blank=True)
    consecutive_send_failures = models.PositiveIntegerField(default=0)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "waha_configurations"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SessionStatus.values),
                name="waha_configurations_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"WAHA session {self.session_name} ({self.status})"
