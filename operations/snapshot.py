"""The numbers /metrics reports, read from the database at scrape time, across every hotel.

On PostgreSQL the scrape runs as the app role under row-level security, so every read goes through
the SECURITY DEFINER functions of operations/migrations/0001 (counts and states only). On SQLite
(one small hotel, no RLS) the same rows come from the ORM. tests/test_metrics.py checks both give
the same exposition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Count, Min, Q

from automation import heartbeat
from automation.models import AutomationJob, JobStatus, WorkerHeartbeat
from messaging.models import MessageLog
from pms.models import PMSConfiguration, SyncRun, SyncStatus
from tenancy.db import enforces_rls
from tenancy.models import Tenant
from whatsapp.models import WahaConfiguration

# The job states /metrics looks at: work waiting or under way, and work that gave up.
COUNTED_JOB_STATES = (
    JobStatus.QUEUED,
    JobStatus.RETRYING,
    JobStatus.RUNNING,
    JobStatus.FAILED,
    JobStatus.DEAD,
)


@dataclass(frozen=True)
class Hotel:
    id: UUID
    public_id: UUID
    name: str


@dataclass(frozen=True)
class JobGroup:
    tenant_id: UUID
    kind: str
    status: str
    jobs: int
    due_jobs: int
    oldest_due: dt.datetime | None


@dataclass(frozen=True)
class MessageGroup:
    tenant_id: UUID
    direction: str
    status: str
    messages: int


@dataclass(frozen=True)
class WhatsAppSession:
    tenant_id: UUID
    status: str
    consecutive_send_failures: int


@dataclass(frozen=True)
class PMSConnection:
    tenant_id: UUID
    pulls: bool  # is_active: Innbox pulls on a schedule (push-only hotels have no lag)
    health: str
    connected_at: dt.datetime
    last_success: dt.datetime | None
    failures_since_success: int


@dataclass(frozen=True)
class Workers:
    last_seen: dt.datetime | None
    running: int  # processes seen within WORKER_HEARTBEAT_STALE_MINUTES


@dataclass(frozen=True)
class Snapshot:
    taken_at: dt.datetime
    hotels: list[Hotel]
    jobs: list[JobGroup]
    messages: list[MessageGroup]
    whatsapp: list[WhatsAppSession]
    pms: list[PMSConnection]
    workers: Workers


def take(now: dt.datetime) -> Snapshot:
    read = _FROM_FUNCTIONS if enforces_rls() else _FROM_ORM
    return Snapshot(
        taken_at=now,
        hotels=[Hotel(*row) for row in read["hotels"](now)],
        jobs=[JobGroup(*row) for row in read["jobs"](now)],
        messages=[MessageGroup(*row) for row in read["messages"](now)],
        whatsapp=[WhatsAppSession(*row) for row in read["whatsapp"](now)],
        pms=[PMSConnection(*row) for row in read["pms"](now)],
        workers=_workers(now),
    )


def _workers(now: dt.datetime) -> Workers:
    # A global table: both roles read it directly.
    return Workers(
        last_seen=heartbeat.last_seen(),
        running=WorkerHeartbeat.objects.filter(seen_at__gte=now - heartbeat.stale_after()).count(),
    )


def _call(function: str, *params: Any) -> list[tuple[Any, ...]]:
    placeholders = ", ".join(["%s"] * len(params))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {function}({placeholders})", list(params))  # noqa: S608 - our own function names
        return [tuple(row) for row in cursor.fetchall()]


_FROM_FUNCTIONS = {
    "hotels": lambda now: _call("app_metrics_hotels"),
    "jobs": lambda now: _call("app_metrics_jobs", now),
    "messages": lambda now: _call("app_metrics_messages"),
    "whatsapp": lambda now: _call("app_metrics_whatsapp"),
    "pms": lambda now: _call("app_metrics_pms"),
}


def _jobs_from_orm(now: dt.datetime) -> list[tuple[Any, ...]]:
    due = Q(run_at__lte=now)
    return list(
        AutomationJob.objects.filter(status__in=COUNTED_JOB_STATES)
        .values("tenant_id", "kind", "status")
        .annotate(
            jobs=Count("id"), due_jobs=Count("id", filter=due), oldest=Min("run_at", filter=due)
        )
        .values_list("tenant_id", "kind", "status", "jobs", "due_jobs", "oldest")
        .order_by()
    )


def _pms_from_orm(now: dt.datetime) -> list[tuple[Any, ...]]:
    rows = []
    for config in PMSConfiguration.objects.all():
        failed = SyncRun.objects.filter(tenant_id=config.tenant_id, status=SyncStatus.FAILED)
        if config.last_success_at is not None:
            failed = failed.filter(started_at__gt=config.last_success_at)
        rows.append(
            (
                config.tenant_id,
                config.is_active,
                config.health,
                config.created_at,
                config.last_success_at,
                failed.count(),
            )
        )
    return rows


_FROM_ORM = {
    "hotels": lambda now: list(Tenant.objects.values_list("id", "public_id", "name")),
    "jobs": _jobs_from_orm,
    "messages": lambda now: list(
        MessageLog.objects.values("tenant_id", "direction", "status")
        .annotate(messages=Count("id"))
        .values_list("tenant_id", "direction", "status", "messages")
        .order_by()
    ),
    "whatsapp": lambda now: list(
        WahaConfiguration.objects.values_list("tenant_id", "status", "consecutive_send_failures")
    ),
    "pms": _pms_from_orm,
}
