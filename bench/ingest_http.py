"""PMS pushes over HTTP through gunicorn, as production receives them, beside the framework ceiling.

    .venv/bin/python bench/ingest_http.py          # what `make bench` runs (production settings)

gunicorn starts as deploy/innbox starts it (2 sync workers, the app's role `innbox_app` under
row-level security, production settings), plus one extra URL (bench/http_urls.py): a view that
does one INSERT of an inbound event in the hotel's context, the least a webhook can do behind the
same middleware, server and role. S sender threads post BENCH_WEBHOOKS signed pushes, each a new
reservation, over keep-alive loopback connections, then the same number of requests to the
ceiling view; the ratio is ingest's rate over the ceiling's. Bodies are built and signed before
the clock starts.

Then a profile of the same pushes in this process (cProfile through the test Client, as
`innbox_app`) says where the time of one push goes, by who spends it: PostgreSQL round trips
(psycopg), Django, Innbox's own code, other libraries.
"""

from __future__ import annotations

import cProfile
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/innbox_bench_http")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innbox.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import connected_as, prepare_database, pushing_hotel, where_time_goes  # noqa: E402
from pms import webhook as pms_webhook  # noqa: E402
from tenancy.models import Tenant  # noqa: E402

EVENTS = int(os.environ.get("BENCH_WEBHOOKS", "500"))
SENDERS = [int(n) for n in os.environ.get("BENCH_SENDERS", "8,32").split(",")]
WEB_PROCESSES = int(os.environ.get("BENCH_WEB_PROCESSES", "2"))  # deploy/innbox's default
PROFILE_EVENTS = int(os.environ.get("BENCH_PROFILE_EVENTS", "200"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
# Production answers only its own host name (ALLOWED_HOSTS from APP_URL).
HOST_HEADER = {"Host": httpx.URL(os.environ.get("APP_URL", "http://localhost")).netloc.decode()}

Request = tuple[str, bytes, dict[str, str]]


def pushes(tenant: Tenant, secret: str, count: int, label: str) -> list[Request]:
    """`count` signed pushes, each a reservation the hotel has not seen."""
    url = f"/api/webhooks/pms/{tenant.public_id}/"
    made = []
    for n in range(count):
        body = json.dumps(
            {
                "type": "reservation.upserted",
                "reservation": {
                    "id": f"{label}-{n}",
                    "status": "pre-arrival",
                    "check_in": "2027-01-10",
                    "check_out": "2027-01-12",
                    "guest": {
                        "id": f"{label}-G{n}",
                        "first_name": "Guest",
                        "phone": f"+62812{n:07d}",
                    },
                },
            }
        ).encode()
        webhook_id, stamp = f"msg_{label}_{n}_{uuid.uuid4().hex}", str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Webhook-Id": webhook_id,
            "Webhook-Timestamp": stamp,
            "Webhook-Signature": pms_webhook.sign(secret, webhook_id, stamp, body),
        }
        made.append((url, body, headers))
    return made


def ceiling_requests(tenant: Tenant, count: int) -> list[Request]:
    return [(f"/bench/one-insert/{tenant.id}/", b"{}", {}) for _ in range(count)]


def role_url(role: str) -> str:
    scheme, rest = os.environ["DATABASE_URL"].split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[-1]}"


def start_gunicorn(metrics_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "DATABASE_URL": role_url(settings.DB_APP_ROLE),
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    server = subprocess.Popen(  # noqa: S603 - our own command, as deploy/innbox runs it
        [
            sys.executable,
            "-m",
            "gunicorn",
            "innbox.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WEB_PROCESSES),
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"http://127.0.0.1:{PORT}/healthz", headers=HOST_HEADER)
            if answer.status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def post_all(requests: list[Request], senders: int) -> tuple[float, float]:
    """Post every request from `senders` threads, each on its own keep-alive connection; the
    seconds from the first to the last answer, and the p95 of one request's time as its sender
    saw it. Any answer but 200 stops the benchmark."""
    shares = [requests[n::senders] for n in range(senders)]
    failures: list[str] = []
    took: list[float] = []

    def send(share: list[Request]) -> None:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{PORT}", headers=HOST_HEADER, timeout=60
        ) as client:
            for path, body, headers in share:
                started = time.perf_counter()
                response = client.post(path, content=body, headers=headers)
                took.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append(f"{path}: {response.status_code} {response.text[:200]}")
                    return

    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"a request failed: {failures[0]}")
    took.sort()
    return seconds, took[int(len(took) * 0.95) - 1] if took else 0.0


def measure_http(tenant: Tenant, secret: str) -> None:
    with tempfile.TemporaryDirectory() as metrics_dir:
        server = start_gunicorn(metrics_dir)
        try:
            post_all(ceiling_requests(tenant, 20), 2)  # both processes warm
            for senders in SENDERS:
                real = pushes(tenant, secret, EVENTS, f"s{senders}")
                ceiling = ceiling_requests(tenant, EVENTS)
                seconds, p95 = post_all(real, senders)
                ceiling_seconds, ceiling_p95 = post_all(ceiling, senders)
                rate, ceiling_rate = EVENTS / seconds, EVENTS / ceiling_seconds
                print(
                    f"ingest over HTTP  {senders:2d} senders, {EVENTS} pushes, gunicorn"
                    f" {WEB_PROCESSES} processes: {rate:7.1f}/s p95 {p95 * 1000:6.1f} ms"
                    f" | baseline one-INSERT view {ceiling_rate:7.1f}/s p95"
                    f" {ceiling_p95 * 1000:6.1f} ms | ratio {rate / ceiling_rate:.2f}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


def profile(tenant: Tenant, secret: str) -> None:
    requests = pushes(tenant, secret, PROFILE_EVENTS, "profile")
    client = Client()
    with connected_as(settings.DB_APP_ROLE):
        client.get("/healthz")  # the connection opened before the profile starts
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for path, body, headers in requests:
            response = client.post(
                path,
                body,
                content_type="application/json",
                HTTP_WEBHOOK_ID=headers["Webhook-Id"],
                HTTP_WEBHOOK_TIMESTAMP=headers["Webhook-Timestamp"],
                HTTP_WEBHOOK_SIGNATURE=headers["Webhook-Signature"],
            )
            assert response.status_code == 200, response.content
        profiler.disable()
        profiled_seconds = time.perf_counter() - started
    print(
        f"profile of {PROFILE_EVENTS} pushes in-process:"
        f" {profiled_seconds / PROFILE_EVENTS * 1000:.2f} ms each, spent in:"
        f" {where_time_goes(profiler)}",
        flush=True,
    )


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        raise SystemExit(
            "this benchmark measures production's shape: set DATABASE_URL to PostgreSQL"
        )
    prepare_database(fresh=True)
    tenant, secret = pushing_hotel()
    measure_http(tenant, secret)
    profile(tenant, secret)
