"""The job queue on `automation_jobs`: enqueue, claim, run.

Claiming happens in one short statement under a lease (PostgreSQL: `app_claim_due_jobs`, FOR
UPDATE SKIP LOCKED, so many workers share the queue; SQLite: one UPDATE in an IMMEDIATE
transaction, for the single worker of a small installation). The work itself runs afterwards,
outside the claim, inside the job's own tenant context. This is at-least-once: a worker that dies
loses its lease and the job is claimed again, which is why jobs that send carry idempotency keys.

A failure goes through the retry policy (automation/retry_policy.py): retryable errors come back
later (status retrying), permanent ones are failed at once, and retries that run out leave the
job dead, with every attempt's error in its history.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from uuid import UUID

import structlog
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from automation import retry_policy
from automation.models import AutomationJob, JobStatus
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, current_request_id, get_logger
from tenancy import lookups
from tenancy.db import acting_for_tenant, one_statement_for_tenant, working_for_tenant
from tenancy.models import Tenant

LEASE_SECONDS = 300
log = get_logger(__name__)

# The writes a running job wants in the transaction that records its outcome (with_outcome).
_OUTCOME_WRITES: ContextVar[list[tuple[UUID, Callable[[], object]]] | None] = ContextVar(
    "outcome_writes", default=None
)


def with_outcome(tenant_id: UUID, write: Callable[[], object]) -> None:
    """Run `write` in the transaction that records the running job's outcome (its aftermath:
    a message marked sent, the session's health), so that the time after a send is one short
    transaction; outside a job, at once, in its own. Written even when the job's lease was lost:
    what happened did happen."""
    pending = _OUTCOME_WRITES.get()
    if pending is None:
        with acting_for_tenant(tenant_id):
            write()
        return
    pending.append((tenant_id, write))


Handler = Callable[[AutomationJob, Tenant], dict[str, Any]]
# One explicit list: which function runs which kind of job, as a dotted path (imported when a job
# of that kind runs). The engine knows no domain app: the app that owns a kind registers its
# handler in its AppConfig.ready (pms: pms_sync; messaging: send_message).
HANDLERS: dict[str, str] = {}
# Called with the ids of jobs just cancelled and why, in the same transaction: what a domain
# app hangs on a job (messaging: its queued message says why it never went).
CANCEL_HOOKS: list[Callable[[list[int], str], None]] = []


def register_handler(kind: str, handler: str) -> None:
    """`handler` is the dotted path of a function (job, tenant) -> result dict."""
    if HANDLERS.get(kind, handler) != handler:
        raise ValueError(f"{kind} jobs already have a handler: {HANDLERS[kind]}")
    HANDLERS[kind] = handler


def on_cancelled(hook: Callable[[list[int], str], None]) -> None:
    if hook not in CANCEL_HOOKS:
        CANCEL_HOOKS.append(hook)


class Defer(Exception):
    """Not now (quiet hours, a rate limit): run again at `until`, without counting an attempt."""

    def __init__(self, until: dt.datetime, reason: str) -> None:
        super().__init__(reason)
        self.until, self.reason = until, reason


class LeaseLost(Exception):
    """Another worker took this job over (our lease ran out): stop, and write nothing."""


def worker_id() -> str:
    # The thread too: a lease is fenced by who holds it, and threads of one process are rivals.
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def keep_lease(job: AutomationJob, seconds: float = LEASE_SECONDS) -> None:
    """Hold the job for `seconds` more, or raise LeaseLost if another worker holds it now.

    Called before anything a second worker must not repeat (a send), so that a worker whose
    lease ran out while it slept never acts on a job someone else has claimed since. One
    statement: the fence is its own short transaction."""
    now = timezone.now()
    with one_statement_for_tenant(job.tenant_id):
        kept = AutomationJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, locked_by=job.locked_by
        ).update(
            locked_until=now + dt.timedelta(seconds=max(seconds, LEASE_SECONDS)), updated_at=now
        )
    if not kept:
        raise LeaseLost(f"job {job.public_id} is held by another worker now")


def enqueue(
    tenant: Tenant,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: dt.datetime | None = None,
    request_id: str = "",
    reservation_id: int | None = None,
    idempotency_key: str | None = None,
    max_attempts: int | None = None,
) -> AutomationJob:
    with acting_for_tenant(tenant.id):
        job = AutomationJob.objects.create(
            tenant=tenant,
            kind=kind,
            # A guest waiting for an answer cannot wait for eight backoffs (conversation turns).
            **({"max_attempts": max_attempts} if max_attempts else {}),
            reservation_id=reservation_id,
            idempotency_key=idempotency_key,
            payload=payload or {},
            run_at=run_at or timezone.now(),
            request_id=request_id or current_request_id(),
        )
    log.info("job_enqueued", job_id=str(job.public_id), kind=kind)
    return job


def cancel_waiting(jobs: QuerySet[AutomationJob], reason: str) -> int:
    """Cancel the jobs of `jobs` that have not run yet, and tell CANCEL_HOOKS which and why."""
    now = timezone.now()
    waiting = list(
        jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RETRYING]).values_list("pk", flat=True)
    )
    cancelled = AutomationJob.objects.filter(
        pk__in=waiting, status__in=[JobStatus.QUEUED, JobStatus.RETRYING]
    ).update(status=JobStatus.CANCELLED, finished_at=now, updated_at=now)
    if waiting:
        for hook in CANCEL_HOOKS:
            hook(waiting, reason)
    return cancelled


def pending(tenant: Tenant, kind: str) -> AutomationJob | None:
    """A job of this kind still waiting or running: "Sync now" twice is one sync."""
    return (
        AutomationJob.objects.filter(
            tenant=tenant, kind=kind, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        )
        .order_by("-created_at")
        .first()
    )


def claim_due_jobs(limit: int = 10, *, worker: str | None = None) -> list[tuple[int, UUID]]:
    worker = worker or worker_id()
    # The worker's clock, the one every run_at was computed with (a deferral to 09:00, a backoff).
    return lookups.claim_due_jobs(worker, LEASE_SECONDS, limit, timezone.now())


def run_job(job_id: int, tenant_id: UUID, *, worker: str | None = None) -> AutomationJob:
    """Run one claimed job for its tenant and record the outcome on the job.

    Everything from loading the job to writing its outcome happens for the job's hotel
    (tenancy.db.working_for_tenant), and the outcome is written only while we still hold the
    lease: a worker that lost the job to another one writes nothing."""
    with working_for_tenant(tenant_id):
        job = AutomationJob.objects.select_related("tenant").get(pk=job_id)
        if job.status != JobStatus.RUNNING or job.locked_by != (worker or worker_id()):
            return job  # cancelled, or taken over by another worker, since our claim
        # Every line of the job carries what an operator searches by, including the request
        # that caused it (a PMS webhook, a staff click).
        token = _OUTCOME_WRITES.set([])
        try:
            with structlog.contextvars.bound_contextvars(
                job_id=str(job.public_id),
                reservation_id=job.reservation_id,
                request_id=job.request_id or None,
            ):
                return _run_handler(job, job.tenant)
        finally:
            _OUTCOME_WRITES.reset(token)


def _run_handler(job: AutomationJob, tenant: Tenant) -> AutomationJob:
    try:
        # Jobs of one claim run one after the other; a late one may have lost its lease, or
        # have little of it left.
        if _lease_left(job) < LEASE_SECONDS / 2:
            keep_lease(job)
        if job.kind not in HANDLERS:
            raise IntegrationError(f"no handler for {job.kind} jobs", retryable=False)
        # The handler opens its own transactions (a sync commits page by page, so its
        # progress is visible while it runs).
        result = import_string(HANDLERS[job.kind])(job, tenant)
    except LeaseLost as lost:
        log.warning("job_lease_lost", kind=job.kind, detail=str(lost))
        _write_aftermath()
        return job
    except Defer as wait:
        return _defer(job, wait)
    except IntegrationError as exc:
        return _failed(job, exc)
    except (OperationalError, InterfaceError) as lost:
        # The database went away mid-job (a failover, a restart, a dropped connection): neither
        # the job's fault nor final. It is tried again like any retryable failure, its outcome
        # written on a new connection.
        log.warning(
            "job_database_lost",
            kind=job.kind,
            error=str(lost).strip()[:200],
            error_category=ErrorCategory.RETRYABLE,
        )
        _drop_broken_connection()
        return _failed(job, DATABASE_LOST)
    except Exception as exc:
        log.exception("job_crashed", kind=job.kind, error_category=ErrorCategory.FATAL)
        return _finish(job, JobStatus.FAILED, error=f"Unexpected error: {exc.__class__.__name__}")
    try:
        return _finish(job, JobStatus.SUCCEEDED, result=result)
    except (OperationalError, InterfaceError) as lost:
        # The database went away while the outcome (and what the job asked to write with it,
        # with_outcome: a message marked sent) was being written: nothing of it is kept, so the
        # job is tried again, and a send settles its earlier attempt first (reconciliation).
        log.warning(
            "job_database_lost",
            kind=job.kind,
            error=str(lost).strip()[:200],
            error_category=ErrorCategory.RETRYABLE,
        )
        _drop_broken_connection()
        (_OUTCOME_WRITES.get() or []).clear()
        return _failed(job, DATABASE_LOST)


def _lease_left(job: AutomationJob) -> float:
    """Seconds the lease read with the job still runs (the claim has just set it)."""
    if job.locked_until is None:
        return 0.0
    return (job.locked_until - timezone.now()).total_seconds()


def _write_aftermath() -> None:
    """What the job asked to write with its outcome (with_outcome), when no outcome is written."""
    pending = _OUTCOME_WRITES.get() or []
    for tenant_id, write in pending:
        with acting_for_tenant(tenant_id):
            write()
    pending.clear()


DATABASE_LOST = IntegrationError(
    "The database connection was lost during the job; it is tried again.",
    retryable=True,
    code="database_lost",
)


def _drop_broken_connection() -> None:
    """Close a connection the database dropped, so the next query opens a new one (Django does
    not reconnect by itself outside a transaction); a healthy one is kept."""
    if connection.in_atomic_block:
        return
    if connection.connection is not None and not connection.is_usable():
        connection.close()


def _write_if_still_ours(job: AutomationJob, values: dict[str, Any]) -> bool:
    """Write the job's outcome only while the lease is ours (the same fence as keep_lease),
    with what the job asked to write alongside (with_outcome): one transaction, or one
    statement when there is nothing else."""
    pending = _OUTCOME_WRITES.get() or []
    ours = [write for tenant_id, write in pending if tenant_id == job.tenant_id]
    others = [(tenant_id, write) for tenant_id, write in pending if tenant_id != job.tenant_id]
    pending.clear()
    pending.extend(others)
    _write_aftermath()  # another hotel's, if ever: in its own transaction
    scope = acting_for_tenant(job.tenant_id) if ours else one_statement_for_tenant(job.tenant_id)
    with scope:
        for write in ours:
            write()
        written = AutomationJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, locked_by=job.locked_by
        ).update(**values, updated_at=timezone.now())
    if not written:
        log.warning("job_lease_lost", kind=job.kind, detail="outcome not written")
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


def _defer(job: AutomationJob, wait: Defer) -> AutomationJob:
    deferred = {
        "status": JobStatus.QUEUED,
        "run_at": wait.until,
        "locked_by": "",
        "locked_until": None,
    }
    if _write_if_still_ours(job, deferred):
        log.info("job_deferred", kind=job.kind, until=wait.until.isoformat(), reason=wait.reason)
    return job


def _failed(job: AutomationJob, error: IntegrationError) -> AutomationJob:
    """Retry later, or give up: failed when permanent, dead when retries ran out."""
    attempt = job.attempts + 1
    retry_at = retry_policy.next_attempt_at(
        attempt, error, timezone.now(), max_attempts=job.max_attempts
    )
    if retry_at is not None:
        return _finish(
            job, JobStatus.RETRYING, error=error.message, retryable=True, run_at=retry_at
        )
    status = JobStatus.DEAD if error.retryable else JobStatus.FAILED
    return _finish(job, status, error=error.message, retryable=error.retryable)


def _finish(
    job: AutomationJob,
    status: str,
    *,
    error: str = "",
    retryable: bool = False,
    result: dict[str, Any] | None = None,
    run_at: dt.datetime | None = None,
) -> AutomationJob:
    now = timezone.now()
    attempts = min(job.attempts + 1, job.max_attempts)
    outcome: dict[str, Any] = {
        "status": status,
        "attempts": attempts,
        "finished_at": None if run_at else now,
        "locked_by": "",
        "locked_until": None,
    }
    if run_at is not None:
        outcome["run_at"] = run_at
    if error:
        outcome["last_error"] = error
        outcome["error_history"] = [
            *job.error_history,
            {"attempt": attempts, "at": now.isoformat(), "error": error, "retryable": retryable},
        ]
    if result is not None:
        outcome["payload"] = {**job.payload, "result": result}
    if _write_if_still_ours(job, outcome):
        log.info("job_finished", kind=job.kind, status=status, error=error or None)
    return job


def release(claimed: list[tuple[int, UUID]], worker: str) -> int:
    """Hand jobs we claimed but will not run back to the queue at once (a worker stopping)
    rather than let them wait for the lease to run out."""
    by_tenant: dict[UUID, list[int]] = {}
    for job_id, tenant_id in claimed:
        by_tenant.setdefault(tenant_id, []).append(job_id)
    released = 0
    for tenant_id, job_ids in by_tenant.items():
        with acting_for_tenant(tenant_id):
            released += AutomationJob.objects.filter(
                pk__in=job_ids, status=JobStatus.RUNNING, locked_by=worker
            ).update(
                status=Case(
                    When(attempts__gt=0, then=Value(JobStatus.RETRYING)),
                    default=Value(JobStatus.QUEUED),
                ),
                locked_by="",
                locked_until=None,
                updated_at=timezone.now(),
            )
    log.info("jobs_released", count=released)
    return released


def run_once(limit: int = 10, *, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Claim what is due and run it; returns how many jobs were claimed (the worker's loop step).

    One job's failure, whatever it is, stays that job's: the rest of the claim still runs. When
    `should_stop` turns true (SIGTERM), the job in hand finishes and the rest go back."""
    worker = worker_id()
    claimed = claim_due_jobs(limit, worker=worker)
    for position, (job_id, tenant_id) in enumerate(claimed):
        if should_stop():
            release(claimed[position:], worker)
            break
        try:
            run_job(job_id, tenant_id, worker=worker)
        except Exception:
            # Typically the database went away mid-job: the lease brings the job back later.
            log.exception("job_runner_failed", job_pk=job_id, error_category=ErrorCategory.FATAL)
            _drop_broken_connection()
    return len(claimed)
