"""The job queue: claimed once, run in its tenant, retried by the policy, dead when exhausted."""

from __future__ import annotations

import datetime as dt

import pytest
import structlog
import time_machine
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind, JobStatus
from innbox.integrations import IntegrationError

pytestmark = pytest.mark.django_db

CALLS: list[str] = []


def always_down(job: AutomationJob, tenant) -> dict:
    CALLS.append(str(tenant.id))
    raise IntegrationError("WAHA failed (500)", retryable=True)


def refused(job: AutomationJob, tenant) -> dict:
    raise IntegrationError("422 invalid number", retryable=False)


def works(job: AutomationJob, tenant) -> dict:
    CALLS.append(tenant.name)
    return {"ok": True}


def queues_another(job: AutomationJob, tenant) -> dict:
    follow = queue.enqueue(tenant, JobKind.PMS_SYNC)
    return {"queued": str(follow.public_id)}


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch):
    CALLS.clear()

    def use(function_name: str) -> None:
        monkeypatch.setitem(
            queue.HANDLERS, JobKind.SEND_MESSAGE, f"tests.test_queue.{function_name}"
        )

    return use


def test_a_job_runs_once_for_its_own_tenant(handler, hotel_a, hotel_b) -> None:
    handler("works")
    job = queue.enqueue(hotel_b.tenant, JobKind.SEND_MESSAGE)

    assert queue.run_once() == 1
    assert queue.run_once() == 0
    assert CALLS == ["Hotel Bravo"]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.payload["result"] == {"ok": True}


def test_a_job_without_a_request_can_queue_another(handler, hotel_a) -> None:
    # A job the clock queued has no request id; one it queues in turn is stored with none
    # (it once failed the NOT NULL column, the job erroring instead).
    handler("queues_another")
    with structlog.contextvars.bound_contextvars(request_id=None):  # no request: the clock
        queue.enqueue(hotel_a.tenant, JobKind.SEND_MESSAGE)
        assert queue.run_once() == 1
    job = AutomationJob.objects.get(tenant=hotel_a.tenant, kind=JobKind.SEND_MESSAGE)
    assert job.status == JobStatus.SUCCEEDED
    follow = AutomationJob.objects.get(tenant=hotel_a.tenant, kind=JobKind.PMS_SYNC)
    assert follow.request_id == ""


def test_a_retryable_failure_comes_back_later_until_dead(handler, hotel_a, settings) -> None:
    handler("always_down")
    job = queue.enqueue(hotel_a.tenant, JobKind.SEND_MESSAGE)
    job.max_attempts = 3
    job.save(update_fields=["max_attempts"])

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        queue.run_once()
        job.refresh_from_db()
        assert job.status == JobStatus.RETRYING and job.run_at > timezone.now()
        assert queue.run_once() == 0, "not before its time"
        for _ in range(2):
            traveller.shift(dt.timedelta(hours=2))
            queue.run_once()

    job.refresh_from_db()
    assert job.status == JobStatus.DEAD and job.attempts == 3
    assert [entry["error"] for entry in job.error_history] == ["WAHA failed (500)"] * 3
    assert len(CALLS) == 3


def test_a_permanent_failure_fails_at_once(handler, hotel_a) -> None:
    handler("refused")
    job = queue.enqueue(hotel_a.tenant, JobKind.SEND_MESSAGE)
    queue.run_once()
    job.refresh_from_db()
    assert (
        job.status == JobStatus.FAILED and job.attempts == 1 and "invalid number" in job.last_error
    )


def test_a_dead_workers_job_is_claimed_again_after_its_lease(handler, hotel_a) -> None:
    handler("works")
    job = queue.enqueue(hotel_a.tenant, JobKind.SEND_MESSAGE)
    assert queue.claim_due_jobs(worker="crashed-worker") == [(job.pk, hotel_a.tenant.id)]
    assert queue.claim_due_jobs(worker="other") == [], "leased"

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=queue.LEASE_SECONDS + 1)):
        assert queue.run_once() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
