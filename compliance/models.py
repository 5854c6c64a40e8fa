"""What was done with guests' personal data, and by whom: exports, erasures, retention purges."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from innbox.models import PublicIdMixin
from tenancy.models import TenantScopedModel


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export")
    ERASURE = "erasure", _("Erasure")
    RETENTION_PURGE = "retention-purge", _("Retention purge")


class DataRequest(PublicIdMixin, TenantScopedModel):
    """data_requests: one export or erasure of a guest's data (who asked, when, in which form)
    or one run of the retention purge (how many rows it anonymised).

    It names the guest by their row, never by their name: after an erasure the row is all that
    is left, and this record must not bring the name back. Owners (and the system, for the
    purge) write it; staff read it (a settings table under row-level security)."""

    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    guest = models.ForeignKey(
        "hotel.Guest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="data_requests",
    )
    # NULL for the scheduled purge (the system) and after the person's account is deleted.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Numbers and table names only: {"format": "json"} for an export; {"tables": {"messages":
    # 12, ...}, "guests": 3, "more": false} for an erasure or a purge.
    details = models.JSONField(default=dict)

    class Meta:
        db_table = "data_requests"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=RequestKind.values), name="data_requests_kind_valid"
            ),
        ]
        indexes = [
            # The scheduled purge asks every minute when it last ran for the hotel.
            models.Index(fields=["tenant", "kind", "-created_at"], name="data_requests_kind_idx"),
            # The guest page lists a guest's requests.
            models.Index(fields=["guest", "-created_at"], name="data_requests_guest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"
