"""Work that comes due by the clock, queued by one worker at a time.

So far: the periodic PMS sync (every AUTOMATION_PMS_SYNC_MINUTES) of every hotel with a pull PMS,
and the pre-arrival messages at the guest's local send time. Post-stay waits for the feedback form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from automation import queue, timing, triggers
from automation.models import AutomationJob, JobKind
from hotel.models import Reservation, ReservationStatus
from innbox.logs import get_logger
from messaging.models import MessageTemplate, Trigger
from pms.models import PMSConfiguration, SyncRun
from tenancy.db import acting_for_tenant, enforces_rls
from tenancy.models import Tenant

# Any constant will do: all Innbox workers ask PostgreSQL for the same advisory lock.
SCHEDULER_LOCK = 72_311_931
log = get_logger(__name__)


@contextmanager
def scheduler_lock() -> Iterator[bool]:
    """Only one worker schedules at a time; the others skip the tick."""
    if not enforces_rls():
        yield True  # SQLite: one worker, one scheduler
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SCHEDULER_LOCK])
        yield bool(cursor.fetchone()[0])


def tick(now: dt.datetime | None = None) -> int:
    """Queue what is due; returns how many jobs were queued."""
    now = now or timezone.now()
    queued = 0
    with scheduler_lock() as mine:
        if not mine:
            return 0
        for tenant in Tenant.objects.all():
            queued += _periodic_sync(tenant, now)
            queued += _pre_arrivals(tenant, now)
    return queued


def _pre_arrivals(tenant: Tenant, now: dt.datetime) -> int:
    """Guests arriving in the next days get their pre-arrival message at the local send time.
    A booking for today gets none: it would arrive with or after the guest."""
    hotel_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    days = settings.AUTOMATION_PRE_ARRIVAL_DAYS_BEFORE
    with acting_for_tenant(tenant.id):
        if not MessageTemplate.objects.filter(
            tenant=tenant, trigger=Trigger.PRE_ARRIVAL, is_active=True
        ).exists():
            return 0
        arriving = Reservation.objects.filter(
            tenant=tenant,
            status=ReservationStatus.PRE_ARRIVAL,
            check_in__gt=hotel_today,
            check_in__lte=hotel_today + dt.timedelta(days=days + 1),
        ).select_related("guest")
        jobs = [
            AutomationJob(
                tenant=tenant,
                kind=JobKind.SEND_MESSAGE,
                idempotency_key=triggers.idempotency_key(reservation.pk, Trigger.PRE_ARRIVAL),
                payload={"reservation": reservation.pk, "trigger": Trigger.PRE_ARRIVAL.value},
                reservation=reservation,
                run_at=timing.pre_arrival_send_at(
                    reservation.check_in,
                    timing.guest_zone(reservation.guest, tenant.time_zone),
                    now,
                ),
            )
            for reservation in arriving
        ]
        before = AutomationJob.objects.filter(tenant=tenant, kind=JobKind.SEND_MESSAGE).count()
        AutomationJob.objects.bulk_create(jobs, ignore_conflicts=True)  # once per reservation
        return (
            AutomationJob.objects.filter(tenant=tenant, kind=JobKind.SEND_MESSAGE).count() - before
        )


def _periodic_sync(tenant: Tenant, now: dt.datetime) -> int:
    every = dt.timedelta(minutes=settings.AUTOMATION_PMS_SYNC_MINUTES)
    with acting_for_tenant(tenant.id):
        config = PMSConfiguration.objects.filter(tenant=tenant, is_active=True).first()
        if config is None:
            return 0
        last = (
            SyncRun.objects.filter(tenant=tenant)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
    if (last and now - last < every) or queue.pending(tenant, JobKind.PMS_SYNC) is not None:
        return 0
    queue.enqueue(tenant, JobKind.PMS_SYNC, {"trigger": "schedule"})
    log.info("scheduled_pms_sync", tenant_id=str(tenant.id))
    return 1
