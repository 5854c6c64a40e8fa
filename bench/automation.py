"""Benchmarks of the automation engine, each printed beside its baseline.

    .venv/bin/python bench/automation.py                       # PostgreSQL at 127.0.0.1, innbox_bench
    BENCH_WEBHOOKS=2000 BENCH_JOBS=400 BENCH_WORKERS=4 .venv/bin/python bench/automation.py

1. Webhook ingest: signed PMS webhooks through the real view (verify, parse, store once, upsert,
   transition, job), against the baseline of inserting the same number of inbound_events rows
   with plain SQL.
2. Dispatch: N worker threads in this process, then N `run_worker` processes, sending queued
   messages through the fake WAHA, which answers each call after a fixed latency. Two baselines:
   the ideal rate N / (calls per send * latency), and a minimal loop measured first in the same
   run: N threads that each claim one job (the same SKIP LOCKED claim), make the same two WAHA
   calls and mark it done in its hotel's context, and nothing else (no log row, no rendering, no
   checks), so the ratio to it is what Innbox's own send path costs.

On PostgreSQL the webhooks are posted as the web app's role (`innbox_app`) and the workers run as
the worker's role (`innbox_worker`), under row-level security as in production; the set-up (hotels,
queued jobs) is written as the owner. The raw-insert baseline runs as `innbox_app` too, in one
transaction acting for the hotel.
"""

from __future__ import annotations

import cProfile
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/innbox_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innbox.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from automation import queue  # noqa: E402
from automation.models import AutomationJob, JobKind  # noqa: E402
from bench.common import connected_as, prepare_database, pushing_hotel, where_time_goes  # noqa: E402
from hotel.models import Guest, Reservation  # noqa: E402
from pms import webhook as pms_webhook  # noqa: E402
from tenancy import lookups  # noqa: E402
from tenancy.db import acting_for_tenant  # noqa: E402
from tests.fake_waha import FakeWaha  # noqa: E402
from whatsapp import sessions  # noqa: E402

WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", "500"))
JOBS = int(os.environ.get("BENCH_JOBS", "200"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
LATENCY = float(os.environ.get("BENCH_WAHA_LATENCY", "0.02"))
CALLS_PER_SEND = 2  # check-exists and sendText (pacing is switched off for the benchmark)


def bench_ingest() -> None:
    tenant, secret = pushing_hotel()
    with connected_as(settings.DB_APP_ROLE) as role:
        ingest(tenant, secret, role)


def ingest(tenant, secret: str, role: str) -> None:
    client = Client()
    url = f"/api/webhooks/pms/{tenant.public_id}/"
    started = time.perf_counter()
    for n in range(WEBHOOKS):
        body = json.dumps(
            {
                "type": "reservation.upserted",
                "reservation": {
                    "id": f"W{n}",
                    "status": "pre-arrival",
                    "check_in": "2027-01-10",
                    "check_out": "2027-01-12",
                    "guest": {"id": f"WG{n}", "first_name": "Guest", "phone": "+6281234560001"},
                },
            }
        ).encode()
        webhook_id, stamp = f"msg_{n}_{uuid.uuid4().hex}", str(int(time.time()))
        response = client.post(
            url,
            body,
            content_type="application/json",
            HTTP_WEBHOOK_ID=webhook_id,
            HTTP_WEBHOOK_TIMESTAMP=stamp,
            HTTP_WEBHOOK_SIGNATURE=pms_webhook.sign(secret, webhook_id, stamp, body),
        )
        assert response.status_code == 200, response.content
    seconds = time.perf_counter() - started
    with acting_for_tenant(tenant.id), connection.cursor() as cursor:
        started = time.perf_counter()
        for n in range(WEBHOOKS):
            cursor.execute(
                "INSERT INTO inbound_events (tenant_id, source, event_id, event_type, payload, request_id, received_at) "
                "VALUES (%s, 'pms', %s, 'baseline', '{}', '', now())",
                [tenant.id, f"baseline_{n}_{uuid.uuid4().hex}"],
            )
        baseline = time.perf_counter() - started
    rate, base_rate = WEBHOOKS / seconds, WEBHOOKS / baseline
    print(
        f"webhook ingest   {WEBHOOKS} signed webhooks as {role}: {rate:8.0f}/s, {seconds / WEBHOOKS * 1000:6.2f} ms each | "
        f"baseline raw insert {base_rate:8.0f}/s | ratio {rate / base_rate:.3f}"
    )


def bench_dispatch() -> None:
    tenant, _ = pushing_hotel()
    fake = FakeWaha(api_key="bench-key").start()
    settings.WAHA_BASE_URL, settings.WAHA_API_KEY = fake.url, "bench-key"
    settings.WAHA_PACING_ENABLED = False
    settings.AUTOMATION_SENDS_PER_MINUTE = 10**6
    settings.AUTOMATION_QUIET_HOURS_END = settings.AUTOMATION_QUIET_HOURS_START = "00:00"
    settings.APP_URL = "http://127.0.0.1:9"
    sessions.connect(tenant)
    while fake.sessions["default"].status != "SCAN_QR_CODE":
        time.sleep(0.05)
    fake.pair("default")
    sessions.refresh(tenant)
    original = fake._take_failure

    def slow(method: str, path: str):  # every call takes LATENCY, like a real WAHA under load
        time.sleep(LATENCY)
        return original(method, path)

    fake._take_failure = slow  # type: ignore[method-assign]
    minimal = minimal_loops(tenant, fake)
    queue_messages(tenant, "threads")
    before = len(fake.sent_texts)

    def worker() -> None:
        try:
            while queue.run_once(limit=5):
                pass
        finally:
            connections.close_all()

    with connected_as(settings.DB_WORKER_ROLE):
        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report(
            "threads  ",
            len(fake.sent_texts) - before,
            time.perf_counter() - started,
            minimal[("threads", 2)],
        )

    profile_dispatch(tenant)

    # The production shape: `run_worker --concurrency N` processes, each with its own database
    # connection and interpreter. Their start-up (a second or so each) is inside the time.
    queue_messages(tenant, "processes")
    before = len(fake.sent_texts)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.worker_settings",
        "DATABASE_URL": worker_url(),
        "WAHA_BASE_URL": fake.url,
        "WAHA_API_KEY": "bench-key",
        "WAHA_PACING_ENABLED": "false",
        "APP_URL": "http://127.0.0.1:9",
    }
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "manage.py", "run_worker", "--concurrency", str(WORKERS), "--once"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    report(
        "processes",
        len(fake.sent_texts) - before,
        time.perf_counter() - started,
        minimal[("processes", 2)],
    )
    fake.stop()


def profile_dispatch(tenant) -> None:
    """Where one worker's time per message goes: JOBS // 4 sends run by one worker in this
    thread under cProfile, as the worker's role (wall clock: waits count)."""
    count = max(JOBS // 4, 10)
    with acting_for_tenant(tenant.id):
        guest = Guest.objects.create(
            tenant=tenant, first_name="Bench", phone_e164="+6281234560001", language="en"
        )
        for n in range(count):
            reservation = Reservation.objects.create(
                tenant=tenant,
                guest=guest,
                pms_reservation_id=f"profile-{n}",
                status="on-stay",
                check_in=timezone.localdate(),
                check_out=timezone.localdate(),
            )
            AutomationJob.objects.create(
                tenant=tenant,
                kind=JobKind.SEND_MESSAGE,
                run_at=timezone.now(),
                payload={"reservation": reservation.pk, "trigger": "on-stay"},
                reservation=reservation,
            )
    with connected_as(settings.DB_WORKER_ROLE):
        queue.run_once(limit=1)  # the connection and the HTTP client made before the profile
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        while queue.run_once(limit=5):
            pass
        profiler.disable()
        seconds = time.perf_counter() - started
        connections.close_all()
    print(
        f"profile of dispatch, 1 worker, {count - 1} messages: {seconds / (count - 1) * 1000:.1f}"
        f" ms each, spent in: {where_time_goes(profiler)}"
    )


def minimal_messages(waha_url: str, calls: int) -> int:
    """One minimal worker: claim one due job at a time (the same SKIP LOCKED function), make
    `calls` WAHA calls (2: check the number, then send; 1: send only), mark the job done in its
    hotel's context, until nothing is due. Returns how many it sent."""
    http = httpx.Client(base_url=waha_url, headers={"X-Api-Key": "bench-key"}, timeout=30)
    sent = 0
    try:
        name = f"minimal-{os.getpid()}-{threading.get_ident()}"
        while claimed := lookups.claim_due_jobs(name, 60, 1, timezone.now()):
            job_id, tenant_id = claimed[0]
            if calls == 2:
                http.get(
                    "/api/contacts/check-exists",
                    params={"phone": "6281234560001", "session": "default"},
                )
            http.post(
                "/api/sendText",
                json={"session": "default", "chatId": "6281234560001@c.us", "text": "Hi"},
            )
            with acting_for_tenant(tenant_id):
                AutomationJob.objects.filter(pk=job_id).update(
                    status="succeeded", updated_at=timezone.now()
                )
            sent += 1
    finally:
        http.close()
        connections.close_all()
    return sent


def minimal_loops(tenant, fake: FakeWaha) -> dict[tuple[str, int], float]:
    """The minimal loop's rate (messages/s) with WORKERS threads and with WORKERS processes,
    1-call and 2-call, each over JOBS fresh jobs. Processes include their start-up, as the
    real `run_worker` processes do."""
    rates: dict[tuple[str, int], float] = {}
    for calls in (1, 2):
        queue_messages(tenant, f"minimal-threads-{calls}")
        before = len(fake.sent_texts)
        with connected_as(settings.DB_WORKER_ROLE):
            started = time.perf_counter()
            threads = [
                threading.Thread(target=minimal_messages, args=(fake.url, calls))
                for _ in range(WORKERS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rates[("threads", calls)] = (len(fake.sent_texts) - before) / (
                time.perf_counter() - started
            )
        queue_messages(tenant, f"minimal-processes-{calls}")
        before = len(fake.sent_texts)
        env = {**os.environ, "DATABASE_URL": worker_url()}
        started = time.perf_counter()
        workers = [
            subprocess.Popen(  # noqa: S603 - this script, as a minimal worker
                [sys.executable, __file__, "--minimal-worker", str(calls), fake.url],
                cwd=ROOT,
                env=env,
            )
            for _ in range(WORKERS)
        ]
        for worker in workers:
            worker.wait()
        rates[("processes", calls)] = (len(fake.sent_texts) - before) / (
            time.perf_counter() - started
        )
    for (how, calls), rate in sorted(rates.items()):
        ideal = WORKERS / (calls * LATENCY)
        print(
            f"dispatch minimal loop {calls}-call, {WORKERS} {how:9}: {rate:8.1f}/s"
            f" | ideal {ideal:8.1f}/s | ratio {rate / ideal:.3f}"
        )
    return rates


def worker_url() -> str:
    """The benchmark's database, connected as the worker's role (PostgreSQL)."""
    url = os.environ["DATABASE_URL"]
    if connection.vendor != "postgresql":
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{settings.DB_WORKER_ROLE}@{rest.split('@', 1)[-1]}"


def queue_messages(tenant, label: str) -> None:
    """JOBS on-stay messages, each for its own reservation, due now."""
    with acting_for_tenant(tenant.id):
        guest = Guest.objects.create(
            tenant=tenant, first_name="Bench", phone_e164="+6281234560001", language="en"
        )
        reservations = Reservation.objects.bulk_create(
            Reservation(
                tenant=tenant,
                guest=guest,
                pms_reservation_id=f"{label}-{n}",
                status="on-stay",
                check_in=timezone.localdate(),
                check_out=timezone.localdate(),
            )
            for n in range(JOBS)
        )
        AutomationJob.objects.bulk_create(
            AutomationJob(
                tenant=tenant,
                kind=JobKind.SEND_MESSAGE,
                run_at=timezone.now(),
                payload={"reservation": r.pk, "trigger": "on-stay"},
                reservation=r,
            )
            for r in reservations
        )


def report(how: str, sent: int, seconds: float, minimal: float) -> None:
    rate, ideal = sent / seconds, WORKERS / (CALLS_PER_SEND * LATENCY)
    print(
        f"dispatch {how} {sent} messages, {WORKERS} workers, WAHA latency {LATENCY * 1000:.0f} ms: "
        f"{rate:8.1f}/s | ideal {ideal:8.1f}/s | ratio {rate / ideal:.3f}"
        f" | 2-call minimal loop {minimal:8.1f}/s | ratio {rate / minimal:.3f}"
    )


if __name__ == "__main__" and sys.argv[1:2] == ["--minimal-worker"]:
    minimal_messages(sys.argv[3], int(sys.argv[2]))
elif __name__ == "__main__":
    prepare_database(fresh=True)
    roles = (
        f" (webhooks as {settings.DB_APP_ROLE}, workers as {settings.DB_WORKER_ROLE})"
        if connection.vendor == "postgresql"
        else ""
    )
    print(f"database: {connection.vendor}{roles}")
    bench_ingest()
    bench_dispatch()
