"""Faults injected on purpose, on PostgreSQL, with the web app as innbox_app and the worker as
innbox_worker and every guard as configured (quiet hours, pacing, the rate limit).

- WAHA failing in each way it can: a 500, a 429 with Retry-After (in seconds and as a date), a
  reset connection before and after WhatsApp took the message, a call that times out after it
  took it, and a lost answer whose chat history is not readable at first;
- the worker SIGKILLed at each step of a send (a real `manage.py run_worker`, killed at moments
  the fake WAHA and PostgreSQL's lock table let us see), and its database connection dropped
  (pg_terminate_backend) before and after WhatsApp took the message;
- the web app's database connection dropped in the middle of a PMS push and of a WAHA webhook
  (gunicorn, started as deploy/innbox starts it), the request waiting on a lock at that moment.

After each: the guest got the message exactly once (the fake WAHA's sent_texts), the message
says sent with WhatsApp's id, no job is left running or half-done, nothing of an interrupted
request was kept, and the app still answers.

PostgreSQL's clock cannot travel: where a test needs time to pass (a lease to run out, a retry
to come due, a pacing gap to elapse) it moves the stored moments back instead (time_passes).
Every wait is bounded (wait_for's timeouts).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import html
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection
from django.db.models import F
from django.test import Client

from automation import queue
from automation.models import AutomationJob, InboundEvent, JobKind, JobStatus
from hotel.models import Reservation
from messaging.defaults import seed_default_templates
from messaging.models import Direction, MessageLog, MessageStatus
from pms import webhook as pms_webhook
from pms.adapters import qloapps
from pms.models import PMSConfiguration, SyncRun, SyncStatus
from tests import conftest, factories, qloapps_server
from tests.fake_waha import FakeWaha, Received, Session
from tests.helpers import (
    CHECKED_IN,
    EVENT,
    PRODUCTION_ENV,
    Processes,
    django_connected_as,
    free_port,
    wait_for,
)
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAHA_KEY = "fault-test-waha-key"
WAHA_HMAC = "fault-test-waha-hmac-key-0123456789"
TEXT = "Your taxi is here"
SEND = "/api/sendText"
# WahaClient's own timeout (whatsapp/waha.py): a hang longer than it is a timeout.
WAHA_TIMEOUT_SECONDS = 15.0


# --- the hotel, its WhatsApp and the database seen from outside -------------------------------


@pytest.fixture
def waha(settings: Any) -> Iterator[FakeWaha]:
    """A fake WAHA whose one session is paired; Innbox pointed at it, pacing as configured."""
    fake = FakeWaha(api_key=WAHA_KEY).start()
    fake.sessions["default"] = Session(name="default", config={})
    fake.pair("default")
    settings.WAHA_BASE_URL = fake.url
    settings.WAHA_API_KEY = WAHA_KEY
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_HMAC
    yield fake
    fake.stop()


@pytest.fixture
def hotel(waha: FakeWaha) -> factories.Hotel:
    """A hotel whose WhatsApp works, and with nothing the scheduler would send by itself."""
    hotel = factories.make_hotel("Hotel Gangguan")
    hotel.reservation.delete()
    WahaConfiguration.objects.create(
        tenant=hotel.tenant,
        session_name="default",
        status=SessionStatus.WORKING,
        phone_number="+6281100001111",
    )
    return hotel


def database_url(role: str) -> str:
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{role}@{host}:{port}/{settings['NAME']}"


def superuser_url() -> str:
    """The test database as the server's superuser: it sees every backend and bypasses RLS."""
    server = conftest.test_database_url().rsplit("/", 1)[0]
    return f"{server}/{connection.settings_dict['NAME']}"


@pytest.fixture
def superuser() -> Iterator[psycopg.Connection]:
    with psycopg.connect(superuser_url(), autocommit=True) as admin:
        yield admin


def waiting_on_a_lock(admin: psycopg.Connection, role: str) -> int | None:
    """The backend of `role` that is waiting for a lock, if one is."""
    row = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND usename = %s AND wait_event_type = 'Lock'",
        [role],
    ).fetchone()
    return int(row[0]) if row else None


def terminate_backends(admin: psycopg.Connection, role: str) -> int:
    """Drop every connection `role` has to the test database, as a failover or a restart would."""
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND usename = %s",
        [role],
    ).fetchall()
    return len(rows)


@dataclass
class RowLock:
    """A superuser transaction holding one row FOR UPDATE: whoever writes it next waits."""

    admin: psycopg.Connection

    @classmethod
    def take(cls, table: str, pk: int) -> RowLock:
        admin = psycopg.connect(superuser_url())
        admin.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])
        return cls(admin)

    def release(self) -> None:
        self.admin.rollback()
        self.admin.close()


def time_passes(hotel: factories.Hotel, minutes: int = 10) -> None:
    """`minutes` pass for the hotel's jobs, messages and number: leases run out, retries and
    deferrals come due, attempts can no longer be on their way, pacing gaps elapse."""
    gone = dt.timedelta(minutes=minutes)
    tenant = hotel.tenant
    AutomationJob.objects.filter(tenant=tenant).update(
        run_at=F("run_at") - gone, locked_until=F("locked_until") - gone
    )
    MessageLog.objects.filter(tenant=tenant).update(send_started_at=F("send_started_at") - gone)
    WahaConfiguration.objects.filter(tenant=tenant).update(
        last_sent_at=F("last_sent_at") - gone, send_tokens_at=F("send_tokens_at") - gone
    )


def staff_sends(hotel: factories.Hotel, settings: Any) -> tuple[MessageLog, AutomationJob]:
    """A person at the front desk sends the guest a message through the API, as innbox_app."""
    staff = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        staff.force_login(hotel.staff)
        answer = staff.post(
            "/api/messages/send/",
            {"guest": str(hotel.guest.public_id), "text": TEXT},
            content_type="application/json",
        )
    assert answer.status_code == 202, answer.content
    message = MessageLog.objects.get(public_id=answer.json()["id"])
    assert message.job is not None
    return message, message.job


def worker_runs(settings: Any) -> int:
    with django_connected_as(settings.DB_WORKER_ROLE):
        return queue.run_once()


def delivered_once(fake: FakeWaha, message: MessageLog, job: AutomationJob) -> None:
    """The guest has the message once; it says sent, with WhatsApp's id; its job is done."""
    message.refresh_from_db()
    job.refresh_from_db()
    assert TEXT in message.body
    assert [text["text"] for text in fake.sent_texts] == [message.body]
    assert message.status == MessageStatus.SENT, message.failure_reason
    assert message.waha_message_id == fake.sent_texts[0]["id"]
    assert (job.status, job.locked_by, job.locked_until) == (JobStatus.SUCCEEDED, "", None)
    assert not AutomationJob.objects.filter(
        tenant=message.tenant, status__in=[JobStatus.RUNNING, JobStatus.RETRYING]
    ).exists()


def app_answers(hotel: factories.Hotel, settings: Any) -> None:
    """The message log, as the hotel's staff see it, served by the app role."""
    staff = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        staff.force_login(hotel.staff)
        page = staff.get("/messages/")
    assert page.status_code == 200
    assert hotel.guest.first_name in page.content.decode()


# --- WAHA failing, the worker (innbox_worker) in this process ---------------------------------


def http_date(seconds_from_now: float) -> str:
    return email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now), usegmt=True
    )


@dataclass(frozen=True)
class WahaFault:
    name: str
    arrange: Callable[[FakeWaha, str], None]  # (the fake, the guest's chat history path)
    reached_whatsapp: bool  # did the failed attempt deliver the message all the same?
    rounds_to_settle: int = 1  # further worker rounds, each after time passes


FAULTS = [
    WahaFault("500", lambda fake, _: fake.fail("POST", SEND, status=500), reached_whatsapp=False),
    WahaFault(
        "reset before delivery",
        lambda fake, _: fake.fail("POST", SEND, reset=True),
        reached_whatsapp=False,
    ),
    WahaFault(
        "reset after delivery",
        lambda fake, _: fake.fail("POST", SEND, reset=True, after_delivery=True),
        reached_whatsapp=True,
    ),
    WahaFault(
        "504 after delivery, then the chat history failing once",
        lambda fake, history: (
            fake.fail("POST", SEND, status=504, after_delivery=True),
            fake.fail("GET", history, status=500),
        ),
        reached_whatsapp=True,
        rounds_to_settle=2,
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_waha_failing_a_send_ends_with_one_message(
    fault: WahaFault, hotel: factories.Hotel, waha: FakeWaha, settings: Any
) -> None:
    message, job = staff_sends(hotel, settings)
    fault.arrange(waha, f"/api/default/chats/{hotel.guest.phone_e164.lstrip('+')}@c.us/messages")

    assert worker_runs(settings) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING and job.locked_by == ""
    assert len(waha.sent_texts) == (1 if fault.reached_whatsapp else 0)

    for _ in range(fault.rounds_to_settle):
        time_passes(hotel)
        assert worker_runs(settings) == 1

    delivered_once(waha, message, job)
    if fault.reached_whatsapp:
        assert job.payload["result"]["reconciled"] is True  # found in the chat, not resent
    app_answers(hotel, settings)


def test_waha_timing_out_after_taking_the_message_does_not_send_it_twice(
    hotel: factories.Hotel, waha: FakeWaha, settings: Any
) -> None:
    """WAHA takes the message and then hangs past the client's timeout (a real wait)."""
    message, job = staff_sends(hotel, settings)
    waha.fail("POST", SEND, status=None, delay=WAHA_TIMEOUT_SECONDS + 2, after_delivery=True)

    assert worker_runs(settings) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING and "in time" in job.last_error
    assert len(waha.sent_texts) == 1
    time_passes(hotel)
    assert worker_runs(settings) == 1
    delivered_once(waha, message, job)
    assert job.payload["result"]["reconciled"] is True
    app_answers(hotel, settings)


@pytest.mark.parametrize("form", ["seconds", "date"])
def test_a_429_brings_the_send_back_no_sooner_than_retry_after(
    form: str, hotel: factories.Hotel, waha: FakeWaha, settings: Any
) -> None:
    message, job = staff_sends(hotel, settings)
    pause = 240  # longer than the first retry's jitter (30 s at most): only Retry-After explains it
    header = str(pause) if form == "seconds" else http_date(pause)
    waha.fail("POST", SEND, status=429, headers={"Retry-After": header})
    asked_at = dt.datetime.now(dt.UTC)

    assert worker_runs(settings) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING and "429" in job.last_error
    assert job.run_at >= asked_at + dt.timedelta(seconds=pause - 5)
    assert waha.sent_texts == []
    assert worker_runs(settings) == 0  # not before it is due
    time_passes(hotel)
    assert worker_runs(settings) == 1
    delivered_once(waha, message, job)
    app_answers(hotel, settings)


# --- the worker process killed, and its database connection dropped ---------------------------


@pytest.fixture
def workers(tmp_path: Path, waha: FakeWaha) -> Iterator[Processes]:
    """Starts `manage.py run_worker` as production runs it: INNBOX_ENV=production, connected as
    innbox_worker, pacing and limits as configured."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        **PRODUCTION_ENV,
        "DATABASE_URL": database_url("innbox_worker"),
        "WAHA_BASE_URL": waha.url,
        "WAHA_API_KEY": WAHA_KEY,
        "WAHA_WEBHOOK_HMAC_KEY": WAHA_HMAC,
    }
    processes = Processes(env, tmp_path)
    yield processes
    processes.stop_all()


def start_worker(processes: Processes, name: str) -> Any:
    return processes.start(name, sys.executable, "manage.py", "run_worker", "--interval", "0.2")


def sigkill(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def job_state(job: AutomationJob) -> str:
    job.refresh_from_db()
    return str(job.status)


def finishes(job: AutomationJob, processes: Processes, name: str) -> None:
    wait_for(
        lambda: job_state(job) == JobStatus.SUCCEEDED,
        f"the job to succeed ({name}'s log: {processes.log(name)[-1500:]})",
        timeout=90,
    )


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    stage: str  # the fake WAHA's moment (Hook.stage)
    # Where the worker stands when it is killed: "there" (in the call), or blocked on the lock
    # of the table it writes next once WAHA answered.
    blocked_on: str | None = None


STEPS = [
    Step("checking the number", "GET", "/api/contacts/check-exists", "received"),
    Step("typing", "POST", "/api/startTyping", "received"),
    Step("sending, as WAHA receives it", "POST", SEND, "received"),
    Step("sending, WhatsApp has it, unanswered", "POST", SEND, "answering"),
    Step("answered, message not yet marked sent", "POST", SEND, "answering", "message_logs"),
    Step("message marked sent, job not yet finished", "POST", SEND, "answering", "automation_jobs"),
]


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
def test_a_worker_killed_at_any_step_of_a_send_leaves_one_message(
    step: Step,
    hotel: factories.Hotel,
    waha: FakeWaha,
    workers: Processes,
    superuser: psycopg.Connection,
    settings: Any,
) -> None:
    message, job = staff_sends(hotel, settings)
    locks: list[RowLock] = []
    running: dict[str, Any] = {}

    def at_the_step(received: Received) -> None:
        if step.blocked_on is None:
            sigkill(running["worker"])  # WAHA carries on with the request, as a real one would
        else:
            row = message.pk if step.blocked_on == "message_logs" else job.pk
            locks.append(RowLock.take(step.blocked_on, row))

    waha.on(step.method, step.path, at_the_step, stage=step.stage)
    worker = running["worker"] = start_worker(workers, "worker")
    if step.blocked_on is not None:
        wait_for(lambda: waiting_on_a_lock(superuser, "innbox_worker"), "the worker to block")
        sigkill(worker)
        locks[0].release()
    wait_for(lambda: worker.poll() is not None, "the worker to die")
    assert worker.returncode == -signal.SIGKILL

    # Dead mid-job: the job is still leased to the dead worker, and nobody else may take it.
    assert job_state(job) == JobStatus.RUNNING
    time_passes(hotel)  # the lease runs out
    start_worker(workers, "second worker")
    finishes(job, workers, "second worker")

    delivered_once(waha, message, job)
    app_answers(hotel, settings)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["before the send", "after WhatsApp took it"])
def test_the_workers_database_connection_dropped_mid_job_leaves_one_message(
    moment: str,
    hotel: factories.Hotel,
    waha: FakeWaha,
    workers: Processes,
    superuser: psycopg.Connection,
    settings: Any,
) -> None:
    message, job = staff_sends(hotel, settings)
    if moment == "before the send":
        # The worker blocks writing that the send begins; its connection is dropped there.
        lock = RowLock.take("message_logs", message.pk)
        worker = start_worker(workers, "worker")
        wait_for(lambda: waiting_on_a_lock(superuser, "innbox_worker"), "the worker to block")
        assert terminate_backends(superuser, "innbox_worker") >= 1
        lock.release()
    else:
        waha.on(
            "POST",
            SEND,
            lambda received: terminate_backends(superuser, "innbox_worker"),
            stage="answering",
        )
        worker = start_worker(workers, "worker")

    # Not the job's fault: tried again later, like WAHA being down, not failed for good.
    settled = {JobStatus.RETRYING, JobStatus.FAILED, JobStatus.DEAD, JobStatus.SUCCEEDED}
    wait_for(lambda: job_state(job) in settled, "the attempt's outcome")
    assert job.status == JobStatus.RETRYING, job.last_error
    assert "database connection was lost" in job.last_error
    assert len(waha.sent_texts) == (0 if moment == "before the send" else 1)

    time_passes(hotel)
    finishes(job, workers, "worker")  # the same worker, on a new connection

    assert worker.poll() is None, "the worker lives on"
    delivered_once(waha, message, job)
    if moment == "after WhatsApp took it":
        assert job.payload["result"]["reconciled"] is True
    app_answers(hotel, settings)


# --- the web app's database connection dropped mid-request (gunicorn as innbox_app) -----------


@dataclass
class Web:
    http: httpx.Client
    process: Any


@pytest.fixture
def web(tmp_path: Path, waha: FakeWaha) -> Iterator[Web]:
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        **PRODUCTION_ENV,
        "DATABASE_URL": database_url("innbox_app"),
        "APP_URL": f"http://127.0.0.1:{port}",
        "WAHA_BASE_URL": waha.url,
        "WAHA_API_KEY": WAHA_KEY,
        "WAHA_WEBHOOK_HMAC_KEY": WAHA_HMAC,
        "PYTHON": sys.executable,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    processes = Processes(env, tmp_path)
    process = processes.start("web", "deploy/innbox", "web")
    # As the reverse proxy in front of it tells Innbox: the sender came over HTTPS.
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"X-Forwarded-Proto": "https"}, timeout=30
    )
    try:
        wait_for(lambda: _healthy(http), f"gunicorn to answer: {processes.log('web')[-800:]}", 60)
        yield Web(http, process)
    finally:
        http.close()
        processes.stop_all()


def _healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def interrupted(
    web: Web, superuser: psycopg.Connection, table: str, request: Callable[[], httpx.Response]
) -> httpx.Response:
    """Make `request` while `table` is locked, and drop the web app's database connection the
    moment the request waits for that lock: mid-request, mid-transaction."""
    with psycopg.connect(superuser_url()) as lock:
        lock.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(request)
            pid = wait_for(
                lambda: waiting_on_a_lock(superuser, "innbox_app"), f"the request to reach {table}"
            )
            superuser.execute("SELECT pg_terminate_backend(%s)", [pid])
            response = answer.result(timeout=30)
        lock.rollback()
    return response


def signed_push(
    web: Web, hotel: factories.Hotel, secret: str, event: dict, webhook_id: str
) -> httpx.Response:
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    return web.http.post(
        f"/api/webhooks/pms/{hotel.tenant.public_id}/",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": stamp,
            "webhook-signature": pms_webhook.sign(secret, webhook_id, stamp, body),
        },
    )


@pytest.mark.slow
def test_a_pms_push_whose_database_connection_drops_keeps_nothing_and_its_retry_applies_once(
    hotel: factories.Hotel, web: Web, superuser: psycopg.Connection
) -> None:
    seed_default_templates(hotel.tenant)
    secret = pms_webhook.rotate_secret(
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
    )
    assert signed_push(web, hotel, secret, EVENT, "msg_booked").json()["status"] == "applied"
    stay = Reservation.objects.get(tenant=hotel.tenant, pms_reservation_id="R-1042")

    # The check-in has stored its event, moved the stay and is about to queue the welcome.
    answer = interrupted(
        web,
        superuser,
        "automation_jobs",
        lambda: signed_push(web, hotel, secret, CHECKED_IN, "msg_checked_in"),
    )

    assert answer.status_code >= 500  # the PMS is told to send it again
    assert "Traceback" not in answer.text
    stay.refresh_from_db()
    assert stay.status == "pre-arrival"  # nothing of it was kept
    assert InboundEvent.objects.filter(tenant=hotel.tenant).count() == 1
    assert not AutomationJob.objects.filter(kind=JobKind.SEND_MESSAGE).exists()

    retried = signed_push(web, hotel, secret, CHECKED_IN, "msg_checked_in")
    assert retried.status_code == 200 and retried.json()["status"] == "applied"
    again = signed_push(web, hotel, secret, CHECKED_IN, "msg_checked_in")
    assert again.json()["status"] == "duplicate"

    stay.refresh_from_db()
    assert stay.status == "on-stay"
    assert InboundEvent.objects.filter(tenant=hotel.tenant).count() == 2
    welcome = AutomationJob.objects.get(kind=JobKind.SEND_MESSAGE)
    assert welcome.status == JobStatus.QUEUED
    assert web.http.get("/healthz").status_code == 200
    assert web.process.poll() is None


def signed_waha_event(web: Web, raw: bytes) -> httpx.Response:
    return web.http.post(
        "/api/webhooks/waha/",
        content=raw,
        headers={
            "content-type": "application/json",
            "X-Webhook-Hmac": hmac.new(WAHA_HMAC.encode(), raw, hashlib.sha512).hexdigest(),
            "X-Webhook-Hmac-Algorithm": "sha512",
            "X-Webhook-Timestamp": str(int(time.time() * 1000)),
        },
    )


@pytest.mark.slow
def test_a_guest_message_whose_database_connection_drops_is_stored_once_on_redelivery(
    hotel: factories.Hotel, web: Web, superuser: psycopg.Connection
) -> None:
    chat = hotel.guest.phone_e164.lstrip("+") + "@c.us"
    raw = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "timestamp": int(time.time() * 1000),
            "event": "message",
            "session": "default",
            "engine": "NOWEB",
            "payload": {
                "id": f"false_{chat}_{uuid.uuid4().hex[:16].upper()}",
                "timestamp": int(time.time()),
                "from": chat,
                "fromMe": False,
                "source": "app",
                "to": "6281100001111@c.us",
                "body": "Can I check out late?",
                "hasMedia": False,
            },
        }
    ).encode()

    answer = interrupted(web, superuser, "message_logs", lambda: signed_waha_event(web, raw))

    assert answer.status_code >= 500  # WAHA delivers it again
    inbound = MessageLog.objects.filter(tenant=hotel.tenant, direction=Direction.INBOUND)
    assert not inbound.exists() and not InboundEvent.objects.filter(tenant=hotel.tenant).exists()

    assert signed_waha_event(web, raw).status_code == 200
    assert signed_waha_event(web, raw).json()["status"] == "duplicate"
    assert [m.body for m in inbound] == ["Can I check out late?"]
    assert InboundEvent.objects.filter(tenant=hotel.tenant).count() == 1
    assert web.http.get("/healthz").status_code == 200


# --- the PMS answering slowly and with garbage (QloApps over HTTP, the worker in this process) --


def rows_with(**changes: Any) -> bytes:
    """The shop's first page of room bookings, every row changed so."""
    rows = json.loads((qloapps_server.FIXTURES / "room_bookings.json").read_text())["bookings"]
    return json.dumps({"bookings": [{**row, **changes} for row in rows]}).encode()


def customers_with(**changes: Any) -> bytes:
    data = json.loads((qloapps_server.FIXTURES / "customers.json").read_text())
    return json.dumps({"customers": [{**row, **changes} for row in data["customers"]]}).encode()


def rows_without(field: str) -> bytes:
    rows = json.loads((qloapps_server.FIXTURES / "room_bookings.json").read_text())["bookings"]
    return json.dumps(
        {"bookings": [{k: v for k, v in r.items() if k != field} for r in rows]}
    ).encode()


@dataclass(frozen=True)
class Garbage:
    name: str
    resource: str
    answer: tuple[int, bytes]
    reason: str  # what the failed sync says (its run's error)


GARBAGE = [
    Garbage("an HTML page", "room_bookings", (200, b"<html>Maintenance</html>"), "not JSON"),
    Garbage("cut-off JSON", "room_bookings", (200, b'{"bookings": [{"id": 11, "da'), "not JSON"),
    Garbage("bytes that are not text", "room_bookings", (200, b"\xff\xfe\x00\x81"), "not JSON"),
    Garbage("the wrong shape", "room_bookings", (200, b'{"bookings": {"id": 11}}'), "shape"),
    Garbage("rows without ids", "room_bookings", (200, rows_without("id")), "without an id"),
    Garbage(
        "no calendar's dates", "room_bookings", (200, rows_with(date_from="2026-13-45")), "date"
    ),
    Garbage("JSON null", "orders", (200, b"null"), "shape"),
    Garbage("a 502 from its proxy", "customers", (502, b"Bad gateway"), "502"),
    # Values PostgreSQL or the columns refuse: named, not "Unexpected error" (they were).
    Garbage("a NUL in a name", "customers", (200, customers_with(firstname="Ana\x00")), "NUL"),
    Garbage("half a character", "customers", (200, customers_with(lastname="\ud800")), "surrogate"),
    Garbage("a million adults", "room_bookings", (200, rows_with(adults="9" * 20)), "adults"),
    Garbage("a 300-character id", "room_bookings", (200, rows_with(id="x" * 300)), "longer"),
]

# Garbage a sync takes as it can: the values are dropped or cut to their columns.
TOLERATED = {
    "a change time before year 1": ("room_bookings", rows_with(date_upd="0001-01-01 00:00:00")),
    "a price of 1e400": ("room_bookings", rows_with(total_price_tax_incl="1e400")),
    "a price of NaN": ("room_bookings", rows_with(total_price_tax_incl="NaN")),
    "a room number of nested lists": ("room_bookings", rows_with(room_num=[{"value": [[1]]}])),
    "a 5000-character email": ("customers", customers_with(email="a" * 5000 + "@example.com")),
}


@pytest.fixture
def pms_hotel(settings: Any) -> Iterator[tuple[factories.Hotel, qloapps_server.Interference]]:
    """A hotel connected to its QloApps shop (beside Innbox: the operator allowed its address)."""
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("127.0.0.1",)
    hotel = factories.make_hotel("Hotel Lambat")
    interference = qloapps_server.Interference()
    with qloapps_server.serving(interference) as (shop, _paths):
        config = PMSConfiguration(tenant=hotel.tenant, provider="qloapps", base_url=shop)
        config.set_credentials({"api_key": qloapps_server.KEY})
        config.save()
        yield hotel, interference


def sync_now(hotel: factories.Hotel, settings: Any) -> AutomationJob:
    """Staff press "Sync now" (innbox_app); the worker (innbox_worker) runs the sync."""
    staff = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        staff.force_login(hotel.staff)
        assert staff.post("/api/pms/sync/").status_code == 302
    job = AutomationJob.objects.filter(tenant=hotel.tenant, kind=JobKind.PMS_SYNC).latest("pk")
    assert worker_runs(settings) == 1
    job.refresh_from_db()
    return job


def pulled(hotel: factories.Hotel) -> dict[str, tuple[Any, ...]]:
    return {
        r.pms_reservation_id: (r.check_in, r.check_out, r.room_number, r.guest.first_name)
        for r in Reservation.objects.filter(tenant=hotel.tenant)
        .exclude(pk=hotel.reservation.pk)
        .select_related("guest")
    }


def the_owner_sees_why(hotel: factories.Hotel, run: SyncRun, settings: Any) -> None:
    """The PMS page, served by the app role, says the last sync failed and why."""
    owner = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        owner.force_login(hotel.owner)
        page = owner.get("/settings/pms/")
    assert page.status_code == 200
    assert f"Last sync failed: {html.escape(run.error)}" in page.content.decode()


@pytest.mark.parametrize("garbage", GARBAGE, ids=[garbage.name for garbage in GARBAGE])
def test_a_pms_answering_garbage_fails_the_sync_cleanly_and_the_next_one_works(
    garbage: Garbage, pms_hotel: tuple[factories.Hotel, Any], settings: Any
) -> None:
    hotel, shop = pms_hotel
    shop.answer = lambda resource, params: garbage.answer if resource == garbage.resource else None

    job = sync_now(hotel, settings)

    run = SyncRun.objects.get(tenant=hotel.tenant)
    assert job.status == JobStatus.FAILED and job.locked_by == ""  # settled, not crashed
    assert run.status == SyncStatus.FAILED and "Unexpected" not in run.error
    assert garbage.reason in run.error
    assert pulled(hotel) == {}  # nothing of the page was kept
    the_owner_sees_why(hotel, run, settings)

    shop.answer = None  # the shop is mended: the next sync takes everything, once
    assert sync_now(hotel, settings).status == JobStatus.SUCCEEDED
    assert len(pulled(hotel)) == 5
    assert sync_now(hotel, settings).status == JobStatus.SUCCEEDED
    assert len(pulled(hotel)) == 5


@pytest.mark.parametrize("name", list(TOLERATED))
def test_garbage_a_sync_can_take_leaves_every_page_readable(
    name: str, pms_hotel: tuple[factories.Hotel, Any], settings: Any
) -> None:
    hotel, shop = pms_hotel
    resource, body = TOLERATED[name]
    shop.answer = lambda asked, params: (200, body) if asked == resource else None

    assert sync_now(hotel, settings).status == JobStatus.SUCCEEDED

    assert len(pulled(hotel)) == 5  # every row reads back
    staff = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        staff.force_login(hotel.staff)
        assert staff.get("/reservations/").status_code == 200
        for reservation in Reservation.objects.filter(tenant=hotel.tenant):
            assert staff.get(f"/reservations/{reservation.public_id}/").status_code == 200


def test_a_slow_pms_is_waited_for_and_a_hanging_one_times_out(
    pms_hotel: tuple[factories.Hotel, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotel, shop = pms_hotel
    monkeypatch.setattr(qloapps, "REQUEST_TIMEOUT_SECONDS", 2.0)

    shop.delay = 1.0  # slow, within the timeout: every request waits, the sync completes
    assert sync_now(hotel, settings).status == JobStatus.SUCCEEDED
    assert len(pulled(hotel)) == 5

    shop.delay = 5.0  # hangs past it: the sync fails saying so, and keeps what it had
    job = sync_now(hotel, settings)
    run = SyncRun.objects.filter(tenant=hotel.tenant).latest("started_at")
    assert job.status == JobStatus.FAILED and run.status == SyncStatus.FAILED
    assert "did not answer" in run.error and len(pulled(hotel)) == 5
    the_owner_sees_why(hotel, run, settings)


def test_a_pms_that_trickles_its_answer_times_out_instead_of_holding_the_worker(
    pms_hotel: tuple[factories.Hotel, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every byte comes well within the read timeout, so only a deadline for the whole answer
    # stops it: without one, this sync would take hours (a few KB at a byte per 0.2 s).
    hotel, shop = pms_hotel
    monkeypatch.setattr(qloapps, "REQUEST_TIMEOUT_SECONDS", 1.0)
    shop.trickle = 0.2
    job = sync_now(hotel, settings)
    run = SyncRun.objects.filter(tenant=hotel.tenant).latest("started_at")
    assert job.status == JobStatus.FAILED and run.status == SyncStatus.FAILED
    assert "did not answer" in run.error and pulled(hotel) == {}
