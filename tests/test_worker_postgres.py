"""The worker as it runs in production: connected as innbox_worker under RLS, with quiet hours,
pacing and the rate limit as configured. A job runs inside its hotel's context from claim to
finish; a deferral, a crash or a lost lease in one job never ends the worker or strands the rest
of its claim."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind, JobStatus
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import CHECKED_IN, EVENT, connect_whatsapp, django_connected_as, post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def defer_first_then_succeed(job: AutomationJob, tenant: Any) -> dict:
    if job.payload.get("defer"):
        raise queue.Defer(LATER, "quiet hours")
    if job.payload.get("crash"):
        raise RuntimeError("a bug in a handler")
    return {"ran": True}


@pytest.fixture
def scripted_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        queue.HANDLERS, JobKind.SEND_MESSAGE, "tests.test_worker_postgres.defer_first_then_succeed"
    )


def jobs_of(hotel: factories.Hotel, *payloads: dict) -> list[AutomationJob]:
    return [
        queue.enqueue(hotel.tenant, JobKind.SEND_MESSAGE, payload, run_at=timezone.now())
        for payload in payloads
    ]


def statuses(jobs: list[AutomationJob]) -> list[str]:
    return list(
        AutomationJob.objects.filter(pk__in=[j.pk for j in jobs])
        .order_by("pk")
        .values_list("status", flat=True)
    )


def test_a_deferral_as_the_worker_role_leaves_the_worker_and_its_claim_running(
    settings: Any, scripted_handler: None
) -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    jobs = jobs_of(hotel, {"defer": True}, {}, {})

    with django_connected_as(settings.DB_WORKER_ROLE):
        ran = queue.run_once()

    assert ran == 3
    assert statuses(jobs) == [JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    deferred = AutomationJob.objects.get(pk=jobs[0].pk)
    assert deferred.run_at == LATER and deferred.locked_by == "" and deferred.attempts == 0


def test_a_crashing_job_fails_alone_and_the_worker_goes_on(
    settings: Any, scripted_handler: None
) -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    jobs = jobs_of(hotel, {"crash": True}, {})

    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 2

    assert statuses(jobs) == [JobStatus.FAILED, JobStatus.SUCCEEDED]


def test_an_error_outside_the_handler_ends_neither_the_claim_nor_the_worker(
    settings: Any, scripted_handler: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database failing while the outcome is written (a restart, a dropped connection):
    that job waits for its lease to run out; the next jobs of the claim still run."""
    hotel = factories.make_hotel("Hotel Alpha")
    jobs = jobs_of(hotel, {"defer": True}, {})

    def database_went_away(job: AutomationJob, wait: queue.Defer) -> AutomationJob:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(queue, "_defer", database_went_away)
    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 2

    assert statuses(jobs) == [JobStatus.RUNNING, JobStatus.SUCCEEDED]


def taken_over_while_running(job: AutomationJob, tenant: Any) -> dict:
    """What happens when our lease ran out mid-job and a second worker claimed the job."""
    with acting_for_tenant(job.tenant_id):
        AutomationJob.objects.filter(pk=job.pk).update(locked_by="other-worker")
    if job.payload.get("defer"):
        raise queue.Defer(LATER, "quiet hours")
    return {"ran": True}


@pytest.mark.parametrize("payload", [{}, {"defer": True}], ids=["finish", "defer"])
def test_a_worker_that_lost_its_lease_mid_job_writes_no_outcome(
    settings: Any, monkeypatch: pytest.MonkeyPatch, payload: dict
) -> None:
    monkeypatch.setitem(
        queue.HANDLERS, JobKind.SEND_MESSAGE, "tests.test_worker_postgres.taken_over_while_running"
    )
    hotel = factories.make_hotel("Hotel Alpha")
    (job,) = jobs_of(hotel, payload)

    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 1

    job.refresh_from_db()
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.RUNNING, "other-worker", 0)
    assert job.run_at != LATER


def test_a_late_check_in_is_welcomed_at_nine_by_the_worker_role(fake_waha, settings) -> None:
    """Quiet hours as configured (21:00-09:00): the welcome waits for the morning, the worker
    survives the deferral, and the guest gets exactly one message at 09:00 hotel time."""
    hotel = factories.make_hotel("Hotel Alpha")
    zone = ZoneInfo(hotel.tenant.time_zone)
    settings.APP_URL = "http://127.0.0.1:9"
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    connect_whatsapp(hotel, fake_waha, settings)
    late_evening = dt.datetime.combine(
        timezone.localdate() + dt.timedelta(days=1), dt.time(23, 0), tzinfo=zone
    )
    booked = {**EVENT, "reservation": {**EVENT["reservation"]}}
    checked_in = {**CHECKED_IN, "reservation": {**CHECKED_IN["reservation"]}}
    for event in (booked, checked_in):
        event["reservation"]["check_in"] = late_evening.date().isoformat()
        event["reservation"]["check_out"] = (late_evening.date() + dt.timedelta(days=2)).isoformat()

    with time_machine.travel(late_evening, tick=True) as traveller:
        with django_connected_as(settings.DB_APP_ROLE):
            assert post(Client(), hotel, secret, booked).status_code == 200
            assert post(Client(), hotel, secret, checked_in).status_code == 200
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert queue.run_once() == 1
            assert queue.run_once() == 0  # deferred, not lost and not running
        job = AutomationJob.objects.get(kind=JobKind.SEND_MESSAGE)
        assert job.status == JobStatus.QUEUED
        assert job.run_at.astimezone(zone).time() == dt.time(9, 0)
        assert fake_waha.sent_texts == []

        traveller.move_to(job.run_at + dt.timedelta(seconds=1))
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert queue.run_once() == 1

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert len(fake_waha.sent_texts) == 1
    assert MessageLog.objects.get(direction="outbound").status == "sent"
