"""Work that comes due by the clock, queued by one worker at a time.

The periodic PMS sync (every AUTOMATION_PMS_SYNC_MINUTES) of every hotel with a pull PMS, the
pre-arrival messages at the guest's local send time, and the post-stay thank-you with its feedback
link the day after the guest left (early, if they left early). The worker ticks it every minute;
installations that prefer an external cron POST /api/cron/automation/ instead
(automation.views.cron_view).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from automation import queue, timing, triggers
from automation.models import JobKind
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
        for tenant in scheduled_tenants():
            queued += _periodic_sync(tenant, now)
            queued += _pre_arrivals(tenant, now)
            queued += _post_stays(tenant, now)
    return queued


def scheduled_tenants() -> Iterator[Tenant]:
    """Every hotel, each read in its own tenant context (on PostgreSQL neither the app nor the
    worker role can list tenants directly: app_scheduled_tenant_ids answers their ids only)."""
    if not enforces_rls():
        yield from Tenant.objects.order_by("created_at", "id")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM app_scheduled_tenant_ids()")
        tenant_ids = [row[0] for row in cursor.fetchall()]
    for tenant_id in tenant_ids:
        with acting_for_tenant(tenant_id):
            tenant = Tenant.objects.get(pk=tenant_id)
        yield tenant


def _post_stays(tenant: Tenant, now: dt.datetime) -> int:
    """The day after the guest left (H+1), at the local send time, the thank-you with the
    feedback link: the day they actually left when that is known, else the planned day."""
    zone = ZoneInfo(tenant.time_zone)
    hotel_today = now.astimezone(zone).date()
    yesterday = hotel_today - dt.timedelta(days=1)
    candidates = Reservation.objects.filter(
        Q(check_out__gte=yesterday, check_out__lte=hotel_today)
        | Q(
            departed_at__gte=_midnight(yesterday, zone),
            departed_at__lt=_midnight(hotel_today + dt.timedelta(days=1), zone),
        ),
        tenant=tenant,
        status=ReservationStatus.CHECKED_OUT,
    ).select_related("guest")
    # Read when the messages are queued, inside the hotel's context.
    departed = (r for r in candidates if yesterday <= r.departure_day(zone) <= hotel_today)
    return _timed_messages(
        tenant,
        Trigger.POST_STAY,
        departed,
        lambda r: r.departure_day(zone) + dt.timedelta(days=1),
        now,
    )


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _pre_arrivals(tenant: Tenant, now: dt.datetime) -> int:
    """Guests arriving in the next days get their pre-arrival message at the local send time.
    A booking for today gets none: it would arrive with or after the guest."""
    hotel_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    days_before = dt.timedelta(days=settings.AUTOMATION_PRE_ARRIVAL_DAYS_BEFORE)
    arriving = Reservation.objects.filter(
        tenant=tenant,
        status=ReservationStatus.PRE_ARRIVAL,
        check_in__gt=hotel_today,
        check_in__lte=hotel_today + days_before + dt.timedelta(days=1),
    ).select_related("guest")
    return _timed_messages(
        tenant, Trigger.PRE_ARRIVAL, arriving, lambda r: r.check_in - days_before, now
    )


def _timed_messages(
    tenant: Tenant,
    trigger: Trigger,
    reservations: Iterable[Reservation],
    send_day: Callable[[Reservation], dt.date],
    now: dt.datetime,
) -> int:
    """One job per trip for `trigger`, at the local send time of its day in the guest's zone
    (automation.triggers.queue_sends: a repeat is nothing)."""
    with acting_for_tenant(tenant.id):
        if not MessageTemplate.objects.filter(
            tenant=tenant, trigger=trigger, is_active=True
        ).exists():
            return 0
        return triggers.queue_sends(
            tenant,
            trigger.value,
            reservations,
            lambda r: timing.local_send_at(
                send_day(r), timing.guest_zone(r.guest, tenant.time_zone), now
            ),
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
