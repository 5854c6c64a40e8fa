"""Is this installation ready to serve? For an orchestrator's readiness check (GET /readyz).

Ready means: the database answers, every migration is applied (a web process of a new release
that started before `deploy/innbox prepare` finished is not ready), and a worker recorded its
heartbeat within WORKER_HEARTBEAT_STALE_MINUTES (without one, nothing queued is sent).
/healthz stays the liveness check: the process and its database, nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.timesince import timesince

from automation import heartbeat
from innbox.logs import ErrorCategory, get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The driver's words name hosts and roles: they go to the log, not to whoever asks.
        log.exception("readiness_database_unreachable", error_category=ErrorCategory.RETRYABLE)
        return Check("database", False, "unreachable (the log says why)")
    return Check("database", True, "ok")


def migrations() -> Check:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
        return Check("migrations", False, f"{len(plan)} not applied: {names}{more}")
    return Check("migrations", True, "ok")


def worker(now: dt.datetime | None = None) -> Check:
    now = now or timezone.now()
    seen = heartbeat.last_seen()
    if seen is None:
        return Check("worker", False, "no worker has recorded a heartbeat")
    if not heartbeat.is_running(seen, now):
        return Check("worker", False, f"last heartbeat {timesince(seen, now)} ago")
    return Check("worker", True, "ok")


def checks() -> list[Check]:
    first = database()
    if not first.ok:
        return [first]  # nothing else can be asked
    try:
        return [first, migrations(), worker()]
    except DatabaseError:
        log.exception("readiness_database_failed", error_category=ErrorCategory.RETRYABLE)
        return [first, Check("database", False, "failed mid-check (the log says why)")]
