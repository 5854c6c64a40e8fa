"""Work that comes due by the clock, queued by one worker at a time.

The engine only keeps the clock: every minute (the worker's tick, or POST /api/cron/automation/
for installations that prefer an external cron) it runs each registered periodic task once per
hotel, in that hotel's context, under a lock so that only one worker schedules at a time. The
tasks belong to the apps that own them and register in their AppConfig.ready: pms its periodic
sync (pms.schedule), messaging the pre-arrival and post-stay messages (messaging.schedule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from innbox.logs import get_logger
from tenancy import lookups
from tenancy.db import acting_for_tenant, enforces_rls
from tenancy.models import Tenant

# Any constant will do: all Innbox workers ask PostgreSQL for the same advisory lock.
SCHEDULER_LOCK = 72_311_931
log = get_logger(__name__)

# (hotel, now) -> how many jobs it queued; in the order registered (INSTALLED_APPS order).
PeriodicTask = Callable[[Tenant, dt.datetime], int]
PERIODIC_TASKS: list[PeriodicTask] = []


def register_periodic_task(task: PeriodicTask) -> None:
    if task not in PERIODIC_TASKS:
        PERIODIC_TASKS.append(task)


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
            for task in PERIODIC_TASKS:
                queued += task(tenant, now)
    return queued


def scheduled_tenants() -> Iterator[Tenant]:
    """Every hotel, each read in its own tenant context (on PostgreSQL neither the app nor the
    worker role can list tenants directly: tenancy.lookups answers their ids only)."""
    for tenant_id in lookups.scheduled_tenant_ids():
        with acting_for_tenant(tenant_id):
            tenant = Tenant.objects.get(pk=tenant_id)
        yield tenant
