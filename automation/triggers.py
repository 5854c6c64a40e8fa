"""Status transitions become jobs: the trigger engine.

Called inside the same transaction that stored the transitions (a sync page or a pushed event),
so a crash loses neither, and the idempotency key `<reservation id>:<trigger>` (unique per hotel)
makes a duplicate event, a re-sync or two racing workers a no-op: one message per reason.

A reservation seen for the first time (a transition from nothing) sends nothing: connecting a PMS
must not greet every guest already in the house. Transitions to on-stay send at once; the
pre-arrival and post-stay messages are timed by the scheduler.
"""

from __future__ import annotations

import structlog
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind
from hotel.models import ReservationStatus, StatusTransition
from messaging.models import MessageTemplate, Trigger
from tenancy.models import Tenant

SEND_AT_ONCE: dict[str, str] = {ReservationStatus.ON_STAY.value: Trigger.ON_STAY.value}


def idempotency_key(reservation_id: int, trigger: str) -> str:
    return f"{reservation_id}:{trigger}"


CANCELLING = {ReservationStatus.CANCELLED.value, ReservationStatus.NO_SHOW.value}


def jobs_for(tenant: Tenant, transitions: list[StatusTransition]) -> int:
    """Queue the messages these transitions call for; returns how many were new."""
    cancelled = [t.reservation_id for t in transitions if t.to_status in CANCELLING]
    if cancelled:
        # A guest who cancelled gets no "see you tomorrow".
        queue.cancel_waiting(
            AutomationJob.objects.filter(
                tenant=tenant, reservation_id__in=cancelled, kind=JobKind.SEND_MESSAGE
            ),
            "the reservation was cancelled",
        )
    wanted = [t for t in transitions if t.from_status and t.to_status in SEND_AT_ONCE]
    if not wanted:
        return 0
    active = set(
        MessageTemplate.objects.filter(tenant=tenant, is_active=True).values_list(
            "trigger", flat=True
        )
    )
    request_id = structlog.contextvars.get_contextvars().get("request_id", "")
    jobs = [
        AutomationJob(
            tenant=tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=idempotency_key(t.reservation_id, SEND_AT_ONCE[t.to_status]),
            payload={"reservation": t.reservation_id, "trigger": SEND_AT_ONCE[t.to_status]},
            reservation_id=t.reservation_id,
            run_at=timezone.now(),
            request_id=request_id,
        )
        for t in wanted
        if SEND_AT_ONCE[t.to_status] in active
    ]
    before = AutomationJob.objects.filter(tenant=tenant, kind=JobKind.SEND_MESSAGE).count()
    # The unique idempotency key turns a repeat into nothing, whoever inserts first.
    AutomationJob.objects.bulk_create(jobs, ignore_conflicts=True)
    return AutomationJob.objects.filter(tenant=tenant, kind=JobKind.SEND_MESSAGE).count() - before
