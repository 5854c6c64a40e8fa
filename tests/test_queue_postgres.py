"""The queue's promises on PostgreSQL: duplicate webhooks in parallel send once, and two workers
over many jobs run each job once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind, JobStatus
from messaging.defaults import seed_default_templates
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import EVENT, post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RAN: list[int] = []
LOCK = threading.Lock()


def count_run(job: AutomationJob, tenant) -> dict:
    with LOCK:
        RAN.append(job.pk)
    return {}


def test_twenty_copies_of_a_check_in_at_once_make_one_job() -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    post(Client(), hotel, secret, EVENT)
    checked_in = {**EVENT, "reservation": {**EVENT["reservation"], "status": "on-stay"}}

    def deliver(n: int) -> int:
        try:
            return post(Client(), hotel, secret, checked_in, webhook_id="msg_same").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(deliver, range(20)))

    assert set(statuses) == {200}
    assert AutomationJob.objects.filter(kind=JobKind.SEND_MESSAGE).count() == 1


def test_two_workers_over_a_thousand_jobs_run_each_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(queue.HANDLERS, JobKind.SEND_MESSAGE, "tests.test_queue_postgres.count_run")
    RAN.clear()
    hotel = factories.make_hotel("Hotel Alpha")
    AutomationJob.objects.bulk_create(
        AutomationJob(tenant=hotel.tenant, kind=JobKind.SEND_MESSAGE, run_at=timezone.now())
        for _ in range(1000)
    )

    def worker(name: str) -> None:
        try:
            while queue.run_once(limit=25):
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(RAN) == 1000 and len(set(RAN)) == 1000
    assert AutomationJob.objects.filter(status=JobStatus.SUCCEEDED).count() == 1000
    assert connection.vendor == "postgresql"


def test_the_worker_role_schedules_every_hotels_sync() -> None:
    from django.conf import settings

    from automation import scheduler
    from tests.helpers import django_connected_as

    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    for hotel in (a, b):
        with acting_for_tenant(hotel.tenant.id, role="owner"):
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    with django_connected_as(settings.DB_WORKER_ROLE):
        queued = scheduler.tick()
        ran = queue.run_once()

    assert queued == 2 and ran == 2
    assert set(AutomationJob.objects.values_list("tenant_id", "status")) == {
        (a.tenant.id, JobStatus.SUCCEEDED),
        (b.tenant.id, JobStatus.SUCCEEDED),
    }
