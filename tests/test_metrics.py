"""GET /metrics as Prometheus scrapes it, during a scripted run: a PMS push, a send, a failed
send, a dead job. On PostgreSQL the webhooks and the scrape run as the app role and the worker as
the worker role, under row-level security, with two hotels so the scrape must see across them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from automation import queue
from automation.models import AutomationJob, JobStatus, WorkerHeartbeat
from innbox import metrics as process_metrics
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import ConnectionHealth, PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import (
    CHECKED_IN,
    EVENT,
    MIDDAY_IN_JAKARTA,
    TOKEN,
    connect_whatsapp,
    django_connected_as,
    post,
)

PMS_WEBHOOK_ROUTE = "api/webhooks/pms/<uuid:public_id>/"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(autouse=True)
def midday_at_the_hotel() -> Iterator[None]:
    # Quiet hours stay on: the run happens at noon in the hotel's time zone.
    with time_machine.travel(MIDDAY_IN_JAKARTA, tick=True):
        yield


def scrape(client: Client, token: str = TOKEN) -> Samples:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, metric: str, **labels: str) -> float:
    key = (metric, frozenset(labels.items()))
    assert key in samples, f"{metric}{labels} is not exported"
    return samples[key]


def refusals(samples: Samples, source: str, reason: str) -> float:
    key = ("innbox_webhook_refusals_total", frozenset({"source": source, "reason": reason}.items()))
    return samples.get(key, 0.0)


def requests_to(samples: Samples, route: str) -> float:
    return sum(
        amount
        for (name, labels), amount in samples.items()
        if name == "innbox_http_request_duration_seconds_count" and ("route", route) in labels
    )


# --- the endpoint itself ----------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_off_without_a_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404
    assert b"METRICS_TOKEN" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", "Bearer ", f"Bearer {TOKEN}x"],
    ids=["missing", "wrong", "not-bearer", "empty", "longer"],
)
def test_metrics_need_the_bearer_token(
    client: Client, settings: Any, authorization: str | None
) -> None:
    settings.METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"innbox_" not in response.content


def test_a_refusal_reason_is_a_bounded_label() -> None:
    assert process_metrics.refusal_reason("malformed event: 3 validation errors") == (
        "malformed event"
    )
    assert process_metrics.refusal_reason("bad signature") == "bad signature"
    assert process_metrics.refusal_reason("") == "unspecified"
    assert len(process_metrics.refusal_reason("x" * 500)) == process_metrics.REASON_LABEL_LENGTH


# --- the scripted run ---------------------------------------------------------------------------


def second_guest(event: dict[str, Any]) -> dict[str, Any]:
    guest = {**event["reservation"]["guest"], "id": "G-78", "phone": "+6281234560002"}
    return {**event, "reservation": {**event["reservation"], "id": "R-1043", "guest": guest}}


def scripted_run(
    fake: Any,
    settings: Any,
    as_app: Callable[[], AbstractContextManager[Any]],
    as_worker: Callable[[], AbstractContextManager[Any]],
) -> None:
    settings.METRICS_TOKEN = TOKEN
    settings.APP_URL = "http://127.0.0.1:9"
    other = factories.make_hotel("Hotel Bravo")  # the scrape counts every hotel, not one
    hotel = factories.make_hotel("Hotel Alpha")
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        config = PMSConfiguration.objects.create(
            tenant=hotel.tenant, provider="demo", health=ConnectionHealth.HEALTHY
        )
        PMSConfiguration.objects.filter(pk=config.pk).update(last_success_at=hour_ago)
        secret = pms_webhook.rotate_secret(config)
    with acting_for_tenant(other.tenant.id, role="owner"):
        PMSConfiguration.objects.create(
            tenant=other.tenant, provider="demo", is_active=False, health=ConnectionHealth.FAILING
        )
    connect_whatsapp(hotel, fake, settings)
    alpha, bravo = str(hotel.tenant.public_id), str(other.tenant.public_id)
    scraper, pms = Client(), Client()

    with as_app():
        before = scrape(scraper)
        # A push: the guest is booked, then checked in (one welcome queued); one forgery refused.
        assert post(pms, hotel, secret, EVENT).status_code == 200
        assert post(pms, hotel, secret, CHECKED_IN).status_code == 200
        assert post(pms, hotel, secret, EVENT, signature="v1,forged").status_code == 401
        pushed = scrape(scraper)

    assert value(pushed, "innbox_hotel_info", hotel=alpha, name="Hotel Alpha") == 1
    assert value(pushed, "innbox_hotel_info", hotel=bravo, name="Hotel Bravo") == 1
    assert value(pushed, "innbox_queue_jobs", kind="send_message", state="queued") == 1
    assert value(pushed, "innbox_queue_due_jobs", kind="send_message", state="queued") == 1
    assert value(pushed, "innbox_queue_jobs", kind="pms_sync", state="queued") == 0
    age = value(
        pushed, "innbox_queue_oldest_due_job_age_seconds", kind="send_message", state="queued"
    )
    assert 0 <= age < 60
    assert refusals(pushed, "pms", "bad signature") - refusals(before, "pms", "bad signature") == 1
    assert requests_to(pushed, PMS_WEBHOOK_ROUTE) - requests_to(before, PMS_WEBHOOK_ROUTE) == 3
    assert value(pushed, "innbox_whatsapp_session_state", hotel=alpha, state="connected") == 1
    assert value(pushed, "innbox_whatsapp_session_state", hotel=alpha, state="degraded") == 0
    assert 3600 <= value(pushed, "innbox_pms_sync_lag_seconds", hotel=alpha) < 3700
    assert value(pushed, "innbox_pms_sync_failing", hotel=alpha) == 0
    assert value(pushed, "innbox_pms_sync_failing", hotel=bravo) == 1
    assert ("innbox_pms_sync_lag_seconds", frozenset({("hotel", bravo)})) not in pushed  # push-only
    assert value(pushed, "innbox_outbound_messages", hotel=alpha, status="sent") == 0

    # A send: the worker delivers the welcome to WhatsApp.
    with as_worker():
        assert queue.run_once() == 1
    with as_app():
        sent = scrape(scraper)
    assert len(fake.sent_texts) == 1
    assert value(sent, "innbox_outbound_messages", hotel=alpha, status="sent") == 1
    assert value(sent, "innbox_outbound_messages", hotel=bravo, status="sent") == 0
    assert value(sent, "innbox_queue_jobs", kind="send_message", state="queued") == 0

    # A failure: WhatsApp answers 500 to the next guest's welcome; the job will retry.
    fake.fail("POST", "/api/sendText", status=500, times=2)
    with as_app():
        assert post(pms, hotel, secret, second_guest(EVENT)).status_code == 200
        assert post(pms, hotel, secret, second_guest(CHECKED_IN)).status_code == 200
    with as_worker():
        assert queue.run_once() == 1
    with as_app():
        failed = scrape(scraper)
    assert value(failed, "innbox_queue_jobs", kind="send_message", state="retrying") == 1
    assert value(failed, "innbox_queue_due_jobs", kind="send_message", state="retrying") == 0
    assert value(failed, "innbox_whatsapp_consecutive_send_failures", hotel=alpha) == 1

    # A dead job: its last attempt, once the first can no longer be on its way, fails too.
    job = AutomationJob.objects.get(status=JobStatus.RETRYING)
    later = timezone.now() + dt.timedelta(minutes=5)
    AutomationJob.objects.filter(pk=job.pk).update(attempts=job.max_attempts - 1, run_at=later)
    with time_machine.travel(later, tick=True):
        with as_worker():
            assert queue.run_once() == 1
        with as_app():
            dead = scrape(scraper)
    assert AutomationJob.objects.get(pk=job.pk).status == JobStatus.DEAD
    assert value(dead, "innbox_jobs_dead", hotel=alpha, kind="send_message") == 1
    assert value(dead, "innbox_jobs_dead", hotel=bravo, kind="send_message") == 0
    assert value(dead, "innbox_queue_jobs", kind="send_message", state="retrying") == 0
    assert value(dead, "innbox_whatsapp_consecutive_send_failures", hotel=alpha) == 2
    second = MessageLog.objects.exclude(status="sent").get(direction="outbound")
    assert value(dead, "innbox_outbound_messages", hotel=alpha, status=second.status) == 1


@pytest.mark.django_db
def test_a_scrape_during_a_run_finds_each_metric(fake_waha: Any, settings: Any) -> None:
    scripted_run(fake_waha, settings, nullcontext, nullcontext)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_scrape_as_the_app_role_sees_every_hotel(fake_waha: Any, settings: Any) -> None:
    scripted_run(
        fake_waha,
        settings,
        lambda: django_connected_as(django_settings.DB_APP_ROLE),
        lambda: django_connected_as(django_settings.DB_WORKER_ROLE),
    )


@pytest.mark.django_db
def test_it_reports_the_workers(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert value(scrape(client), "innbox_workers_running") == 0
    assert ("innbox_worker_last_seen_seconds", frozenset()) not in scrape(client)
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker="a:1:1", started_at=now, seen_at=now)
    stopped = now - dt.timedelta(minutes=settings.WORKER_HEARTBEAT_STALE_MINUTES + 1)
    WorkerHeartbeat.objects.create(worker="a:2:1", started_at=stopped, seen_at=stopped)
    samples = scrape(client)
    assert value(samples, "innbox_workers_running") == 1
    assert value(samples, "innbox_worker_last_seen_seconds") < 60
