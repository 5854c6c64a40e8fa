"""Work that comes due by the clock, queued by one worker at a time.

So far: the periodic PMS sync (every AUTOMATION_PMS_SYNC_MINUTES) of every hotel with a pull PMS.
The timed messages (pre-arrival, post-stay, quiet hours) come with the automation issue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from automation import queue
from automation.models import JobKind
from innbox.logs import get_logger
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
    return queued


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
