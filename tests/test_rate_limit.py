"""The per-hotel send rate limit: a burst, then a trickle; a limited job waits, it never fails."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from whatsapp import pacing as rate_limit
from whatsapp.models import WahaConfiguration

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 27, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def limited(hotel_a: factories.Hotel) -> factories.Hotel:
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status="WORKING", sends_per_minute=2
    )
    return hotel_a


def test_a_burst_then_one_token_every_thirty_seconds(limited) -> None:
    assert rate_limit.take(limited.tenant, NOW) is None
    assert rate_limit.take(limited.tenant, NOW) is None
    assert rate_limit.take(limited.tenant, NOW) == NOW + dt.timedelta(seconds=30)
    assert rate_limit.take(limited.tenant, NOW + dt.timedelta(seconds=30)) is None


def test_hotels_have_their_own_buckets(limited, hotel_b) -> None:
    WahaConfiguration.objects.create(
        tenant=hotel_b.tenant, session_name="b", status="WORKING", sends_per_minute=2
    )
    for _ in range(2):
        rate_limit.take(limited.tenant, NOW)
    assert rate_limit.take(hotel_b.tenant, NOW) is None


def test_a_limited_job_is_deferred_not_failed(limited, settings) -> None:
    from automation import queue
    from automation.models import AutomationJob, JobKind, JobStatus
    from messaging.defaults import seed_default_templates

    settings.AUTOMATION_QUIET_HOURS_END = settings.AUTOMATION_QUIET_HOURS_START = "00:00"
    seed_default_templates(limited.tenant)
    # A guest in the house: the welcome still fits the stay when it runs (messaging.trigger_rules).
    limited.reservation.status = "on-stay"
    limited.reservation.check_in, limited.reservation.check_out = (
        NOW.date(),
        NOW.date() + dt.timedelta(days=2),
    )
    limited.reservation.save()
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            rate_limit.take(limited.tenant)
        job = AutomationJob.objects.create(
            tenant=limited.tenant,
            kind=JobKind.SEND_MESSAGE,
            run_at=timezone.now(),
            payload={"reservation": limited.reservation.pk, "trigger": "on-stay"},
        )
        queue.run_once()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 0
    assert job.run_at == NOW + dt.timedelta(seconds=30)
