"""GET /readyz for an orchestrator: ready only with the database, every migration applied and a
worker heartbeat within WORKER_HEARTBEAT_STALE_MINUTES. The worker records that heartbeat itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from automation import heartbeat
from automation.models import WorkerHeartbeat
from tests.helpers import django_connected_as, worker_seen


@pytest.mark.django_db
def test_it_is_ready_with_a_database_its_migrations_and_a_worker(client: Client) -> None:
    worker_seen()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }


@pytest.mark.django_db
def test_it_turns_unready_when_the_worker_heartbeat_is_stale(client: Client, settings: Any) -> None:
    worker_seen()
    assert client.get("/readyz").status_code == 200

    stale = timezone.now() + dt.timedelta(
        minutes=settings.WORKER_HEARTBEAT_STALE_MINUTES, seconds=5
    )
    with time_machine.travel(stale):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unready"
    assert response.json()["checks"]["worker"] == "last heartbeat 5\xa0minutes ago"


@pytest.mark.django_db
def test_it_is_unready_when_no_worker_ever_ran(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "no worker has recorded a heartbeat"


@pytest.mark.django_db
def test_it_is_unready_until_every_migration_is_applied(client: Client) -> None:
    worker_seen()
    MigrationRecorder(connection).record_unapplied("operations", "0001_metrics_functions")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == (
        "1 not applied: operations.0001_metrics_functions"
    )


@pytest.mark.django_db
def test_the_worker_records_its_heartbeat(client: Client) -> None:
    assert heartbeat.last_seen() is None
    call_command("run_worker", "--once")
    assert heartbeat.is_running(heartbeat.last_seen())
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_heartbeat_is_written_at_most_every_thirty_seconds() -> None:
    beats = heartbeat.Heartbeat("test-host:2:1")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        beats.beat()
        first = WorkerHeartbeat.objects.get().seen_at
        clock.shift(dt.timedelta(seconds=10))
        beats.beat()
        assert WorkerHeartbeat.objects.get().seen_at == first
        clock.shift(dt.timedelta(seconds=25))
        beats.beat()
        assert WorkerHeartbeat.objects.get().seen_at == first + dt.timedelta(seconds=35)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_role_writes_the_heartbeat_and_the_app_role_reads_it(settings: Any) -> None:
    with django_connected_as(settings.DB_WORKER_ROLE):
        call_command("run_worker", "--once")
    with django_connected_as(settings.DB_APP_ROLE):
        response = Client().get("/readyz")
        stale = timezone.now() + dt.timedelta(minutes=settings.WORKER_HEARTBEAT_STALE_MINUTES + 1)
        with time_machine.travel(stale):
            later = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert later.status_code == 503


@pytest.mark.django_db
def test_an_unreachable_database_is_reported_without_the_drivers_words(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/readyz answers anyone who asks: host names and roles stay in the log."""
    from django.db import OperationalError

    from operations import readiness

    class Refusing:
        def __enter__(self) -> Refusing:
            raise OperationalError('password authentication failed for user "innbox_app" at db-7')

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(readiness.connection, "cursor", lambda: Refusing())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "innbox_app" not in response.content.decode()
    assert "db-7" not in response.content.decode()
