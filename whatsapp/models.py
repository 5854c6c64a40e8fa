"""The hotel's WhatsApp session on WAHA, as last reported by WAHA."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from innbox.models import TimestampedModel
from tenancy.models import TenantScopedModel


class SessionStatus(models.TextChoices):
    """WAHA's session states (api-facts.md §1.3), as WAHA last reported them."""

    STOPPED = "STOPPED", _("Disconnected")
    STARTING = "STARTING", _("Starting")
    SCAN_QR_CODE = "SCAN_QR_CODE", _("Scan the QR code")
    WORKING = "WORKING", _("Connected")
    FAILED = "FAILED", _("Failed")
    PASSKEY_REQUIRED = "PASSKEY_REQUIRED", _("Passkey required")
    PASSKEY_CONFIRMATION_REQUIRED = "PASSKEY_CONFIRMATION_REQUIRED", _("Confirm the passkey")
    # A state this version of Innbox does not know yet: treated as "not ready".
    UNKNOWN = "UNKNOWN", _("Unknown")

    @classmethod
    def from_waha(cls, value: str) -> SessionStatus:
        return cls(value) if value in cls.values else cls.UNKNOWN


class WahaConfiguration(TenantScopedModel, TimestampedModel):
    """waha_configurations: a settings table, written by owners and by the WAHA webhook."""

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="waha_configuration"
    )
    # WAHA Core serves only "default"; Plus (and newer free images) one session per tenant.
    session_name = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=32, choices=SessionStatus.choices, default=SessionStatus.STOPPED
    )
    phone_number = models.CharField(max_length=20, blank=True)
    push_name = models.CharField(max_length=100, blank=True)
    consecutive_send_failures = models.PositiveIntegerField(default=0)
    # When this number last sent a message: the pacer keeps a random gap after it.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # Token bucket of this hotel's sends (automation/rate_limit.py); None: the installation default.
    sends_per_minute = models.PositiveSmallIntegerField(null=True, blank=True)
    send_tokens = models.FloatField(null=True, blank=True)
    send_tokens_at = models.DateTimeField(null=True, blank=True)
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

    @property
    def is_degraded(self) -> bool:
        """WAHA says WORKING while sends keep failing: a known WAHA trap, shown to owners."""
        return (
            self.status == SessionStatus.WORKING
            and self.consecutive_send_failures >= settings.WAHA_DEGRADED_AFTER_FAILURES
        )

    @property
    def health(self) -> str:
        if self.is_degraded:
            return "degraded"
        return {
            SessionStatus.STOPPED: "disconnected",
            SessionStatus.STARTING: "starting",
            SessionStatus.SCAN_QR_CODE: "scan_qr",
            SessionStatus.WORKING: "connected",
            SessionStatus.FAILED: "failed",
        }.get(SessionStatus(self.status), "attention")


class RefusedNumber(TenantScopedModel, TimestampedModel):
    """A number that asked the hotel to stop writing (STOP): the transport's own last check.

    The domain decides first (messaging skips an opted-out guest's messages); this list stops a
    send that any path forgot to check, unless the caller says it is a service message (the
    opt-out confirmation, or a reply to a guest who wrote first)."""

    phone_e164 = models.CharField(max_length=20)
    reason = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "refused_numbers"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "phone_e164"], name="refused_numbers_one_per_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone_e164} refuses messages"
