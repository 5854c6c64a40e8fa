"""The transactional outbox: inbound events accepted once, and the jobs they cause."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from innbox.models import PublicIdMixin, TimestampedModel
from tenancy.models import TenantScopedModel


class EventSource(models.TextChoices):
    PMS = "pms", "PMS"
    WAHA = "waha", "WAHA"


class InboundEvent(TenantScopedModel):
    """inbound_events: a webhook event stored once; a redelivery hits the unique key and stops."""

    source = models.CharField(max_length=8, choices=EventSource.choices)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    request_id = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "inbound_events"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "event_id"], name="inbound_events_once"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=EventSource.values),
                name="inbound_events_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} event {self.event_id}"


class JobKind(models.TextChoices):
    SEND_MESSAGE = "send_message", _("Send a message")
    PMS_SYNC = "pms_sync", _("Sync the PMS")
    AGENT_REPLY = "agent_reply", _("Agent reply")
    FEEDBACK_FOLLOW_UP = "feedback_follow_up", _("Feedback follow-up")
    GUEST_MESSAGE = "guest_message", _("Guest message")
    CONVERSATION_TURN = "conversation_turn", _("Conversation turn")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    DEAD = "dead", _("Dead")
    CANCELLED = "cancelled", _("Cancelled")


class AutomationJob(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """automation_jobs: one unit of background work, claimed by a worker under a lease."""

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # e.g. "<reservation id>:pre-arrival": the reason a message goes out, so it goes out once.
    # NULL (not ""): jobs without a key stay outside the partial unique constraint.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    payload = models.JSONField(default=dict)
    reservation = models.ForeignKey(
        "hotel.Reservation", on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    run_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    locked_by = models.CharField(max_length=128, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # One entry per failed attempt: {"attempt", "at", "error", "retryable"}.
    error_history = models.JSONField(default=list)
    # The request that caused the job, so one event can be traced through to the send.
    request_id = models.CharField(max_length=128, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "automation_jobs"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="automation_jobs_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values),
                name="automation_jobs_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=JobKind.values), name="automation_jobs_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(attempts__lte=models.F("max_attempts")),
                name="automation_jobs_attempts_within_max",
            ),
        ]
        indexes = [
            # The claim query: due jobs, oldest first ("status IN (...) AND run_at <= now").
            models.Index(fields=["status", "run_at"], name="automation_jobs_due_idx"),
            # Lease expiry: running jobs whose worker died.
            models.Index(fields=["status", "locked_until"], name="automation_jobs_lease_idx"),
            # /automation/ lists a tenant's jobs by state.
            models.Index(fields=["tenant", "status", "-run_at"], name="automation_jobs_tenant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.public_id} ({self.status})"


class WorkerHeartbeat(models.Model):
    """worker_heartbeats: each worker process says it is alive, at most every 30 seconds.

    Belongs to no hotel (tests/test_tenant_isolation.py lists it as global): the worker writes it
    outside any tenant context and /readyz and the dashboard read it. No row seen lately means no
    worker is running, so nothing queued will happen."""

    worker = models.CharField(max_length=128, primary_key=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "worker_heartbeats"
        indexes = [models.Index(fields=["-seen_at"], name="worker_heartbeats_seen_idx")]

    def __str__(self) -> str:
        return f"worker {self.worker} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
