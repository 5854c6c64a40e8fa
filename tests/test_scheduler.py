"""The scheduler: a PMS that is pulled gets synced every 15 minutes, once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from automation import queue, scheduler
from automation.models import AutomationJob, JobKind
from pms.models import PMSConfiguration, SyncRun
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_connected_pms_is_synced_every_fifteen_minutes(hotel_a: factories.Hotel, hotel_b) -> None:
    PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert scheduler.tick() == 1  # hotel B has no PMS
        assert scheduler.tick() == 0, "already queued"
        queue.run_once()
        assert SyncRun.objects.filter(tenant=hotel_a.tenant, trigger="schedule").count() == 1
        traveller.shift(dt.timedelta(minutes=10))
        assert scheduler.tick() == 0, "too soon"
        traveller.shift(dt.timedelta(minutes=6))
        assert scheduler.tick() == 1
    assert not AutomationJob.objects.filter(tenant=hotel_b.tenant).exists()


def test_the_worker_schedules_and_runs_in_one_pass(hotel_a: factories.Hotel) -> None:
    PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    call_command("run_worker", "--once")
    job = AutomationJob.objects.get(kind=JobKind.PMS_SYNC)
    assert job.status == "succeeded" and job.payload["trigger"] == "schedule"
