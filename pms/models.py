"""The hotel's PMS connection: which vendor, where, and its (encrypted) credentials."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from innbox import crypto
from innbox.models import PublicIdMixin, TimestampedModel
from pms.adapters import ADAPTERS
from tenancy.models import TenantScopedModel

# The vendors Innbox speaks to, from the one list of adapters (pms/adapters/__init__.py): a new
# adapter is a new choice, and the check constraint follows in its migration.
PMSProvider = models.TextChoices(  # type: ignore[call-overload]  # the Enum functional API
    "PMSProvider",
    [(name.upper(), (name, adapter.label)) for name, adapter in ADAPTERS.items()],
)


class ConnectionHealth(models.TextChoices):
    UNKNOWN = "unknown", _("Not tested yet")
    HEALTHY = "healthy", _("Healthy")
    FAILING = "failing", _("Failing")


class PMSConfiguration(TenantScopedModel, TimestampedModel):
    """pms_configurations: one PMS per hotel. A settings table: only owners may write it."""

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="pms_configuration"
    )
    provider = models.CharField(max_length=32, choices=PMSProvider.choices)
    base_url = models.URLField(max_length=500, blank=True)
    # A Fernet token of the provider's credentials as JSON; never shown back, never logged.
    credentials_encrypted = models.TextField(blank=True)
    # Signs the generic push webhook (Standard Webhooks); encrypted like the credentials.
    webhook_secret_encrypted = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    health = models.CharField(
        max_length=10, choices=ConnectionHealth.choices, default=ConnectionHealth.UNKNOWN
    )
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "pms_configurations"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(provider__in=PMSProvider.values),
                name="pms_configurations_provider_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(health__in=ConnectionHealth.values),
                name="pms_configurations_health_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} for {self.tenant_id}"

    def set_credentials(self, credentials: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(credentials)

    def get_credentials(self) -> dict[str, Any]:
        if not self.credentials_encrypted:
            return {}
        return crypto.decrypt_json(self.credentials_encrypted)


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class SyncRun(PublicIdMixin, TenantScopedModel):
    """One pull from the PMS: when, what changed, and what went wrong."""

    provider = models.CharField(max_length=32)
    trigger = models.CharField(max_length=16, default="manual")  # manual | schedule | webhook
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    range_start = models.DateField()
    range_end = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # Guests whose phone, as the PMS has it, WhatsApp can't use: a warning for the hotel to fix.
    unusable_phones = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "pms_sync_runs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SyncStatus.values), name="pms_sync_runs_status_valid"
            ),
        ]
        indexes = [
            # Sync history on /settings/pms/, newest first.
            models.Index(fields=["tenant", "-started_at"], name="pms_sync_runs_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"sync {self.public_id} ({self.status})"
