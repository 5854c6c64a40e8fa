"""Innbox started the way an operator starts it (deploy/innbox), and driven over HTTP.

A fresh PostgreSQL database; `deploy/innbox prepare` migrates as the owner and collects the
static files; gunicorn runs as innbox_app, the worker as innbox_worker, both with
INNBOX_ENV=production and nothing switched off: quiet hours, pacing and the rate limit are the
production defaults. A hotel's PMS checks a guest in at 23:00 hotel time; the welcome waits for
09:00 and the worker lives through the wait; at 09:00 the guest gets exactly one message; SIGTERM
stops the worker in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from pms import webhook as pms_webhook
from tests.fake_waha import FakeWaha, Session
from tests.helpers import EVENT, PRODUCTION_ENV, Processes, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
WAHA_KEY = "production-test-waha-key"
WAHA_HMAC = "production-test-hmac-key-0123456789"

SETUP_HOTEL = """
import json
from pms import webhook as pms_webhook
from messaging.defaults import seed_default_templates
from pms.models import PMSConfiguration
from tests import factories
from whatsapp.models import WahaConfiguration
hotel = factories.make_hotel("Hotel Produksi")
hotel.reservation.delete()  # only the stay the PMS pushes, so only its messages
tenant = hotel.tenant
tenant.time_zone = {zone!r}
tenant.save(update_fields=["time_zone"])
seed_default_templates(tenant)
# The hotel's PMS pushes its changes; no periodic pull (the demo PMS would add 300 stays).
config = PMSConfiguration.objects.create(tenant=tenant, provider="demo", is_active=False)
secret = pms_webhook.rotate_secret(config)
WahaConfiguration.objects.create(tenant=tenant, session_name="default", status="WORKING")
print(json.dumps({{"hotel": str(tenant.public_id), "secret": secret}}))
"""


def zone_where_it_is(hour: int) -> str:
    """A fixed-offset zone whose local hour is `hour` right now (Etc/GMT signs are inverted)."""
    offset = (hour - dt.datetime.now(dt.UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" + ("" if offset == 0 else f"{-offset:+d}")


def sign_and_post(http: httpx.Client, hotel: str, secret: str, event: dict) -> httpx.Response:
    body = json.dumps(event).encode()
    webhook_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    return http.post(
        f"/api/webhooks/pms/{hotel}/",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": stamp,
            "webhook-signature": pms_webhook.sign(secret, webhook_id, stamp, body),
        },
    )


def stay(status: str, today: dt.date) -> dict:
    reservation = {
        **EVENT["reservation"],
        "status": status,
        "check_in": today.isoformat(),
        "check_out": (today + dt.timedelta(days=2)).isoformat(),
    }
    return {**EVENT, "reservation": reservation}


def test_innbox_runs_as_an_operator_starts_it(database: dict[str, str], tmp_path: Path) -> None:
    fake = FakeWaha(api_key=WAHA_KEY).start()
    fake.sessions["default"] = Session(name="default", config={})
    fake.pair("default")
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        **PRODUCTION_ENV,
        **database,
        "APP_URL": f"http://127.0.0.1:{port}",
        "WAHA_BASE_URL": fake.url,
        "WAHA_API_KEY": WAHA_KEY,
        "WAHA_WEBHOOK_HMAC_KEY": WAHA_HMAC,
        "PYTHON": sys.executable,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    processes = Processes(env, tmp_path)
    late_evening_zone = zone_where_it_is(23)
    try:
        prepared = processes.run("deploy/innbox", "prepare")
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        setup = processes.run(
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            SETUP_HOTEL.format(zone=late_evening_zone),
            DATABASE_URL=database["MIGRATE_DATABASE_URL"],
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        hotel = json.loads(setup.stdout.strip().splitlines()[-1])

        web = processes.start("web", "deploy/innbox", "web")
        worker = processes.start("worker", "deploy/innbox", "worker")
        # As the reverse proxy in front of it tells Innbox: the visitor came over HTTPS.
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"X-Forwarded-Proto": "https"},
            timeout=10,
        )
        wait_for(lambda: _answers(http), "gunicorn to answer", timeout=30)

        # The login page and its stylesheets, as a browser loads them.
        login = http.get("/login/")
        assert login.status_code == 200, login.text[:500]
        stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', login.text)
        assert stylesheets
        for href in stylesheets:
            css = http.get(href)
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

        # 23:00 at the hotel: the guest is booked, then checked in.
        today = dt.datetime.now(ZoneInfo(late_evening_zone)).date()
        for status in ("pre-arrival", "on-stay"):
            answer = sign_and_post(http, hotel["hotel"], hotel["secret"], stay(status, today))
            assert answer.status_code == 200, answer.text

        owner = database["MIGRATE_DATABASE_URL"]
        job = wait_for(lambda: _deferred_welcome(owner), "the welcome to be deferred")
        assert job["run_at"].astimezone(ZoneInfo(late_evening_zone)).time() == dt.time(9, 0)
        time.sleep(3)  # a worker that dies on a deferral is gone by now
        assert worker.poll() is None, processes.log("worker")[-3000:]
        assert fake.sent_texts == []

        # 09:00 at the hotel (the hotel moves to a zone where it is morning, rather than the
        # clock moving ten hours): the welcome is due, and allowed.
        with psycopg.connect(owner, autocommit=True) as db:
            db.execute("UPDATE tenants SET time_zone = %s", [zone_where_it_is(10)])
            db.execute("UPDATE automation_jobs SET run_at = now() WHERE id = %s", [job["id"]])
        wait_for(lambda: fake.sent_texts, "the welcome to reach WhatsApp")
        wait_for(lambda: _job_status(owner, job["id"]) == "succeeded", "the job to succeed")
        assert len(fake.sent_texts) == 1
        assert fake.sent_texts[0]["chatId"] == "6281234560001@c.us"

        asked = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        assert worker.returncode == 0, processes.log("worker")[-3000:]
        assert time.monotonic() - asked < 5
        assert web.poll() is None
        assert '"error_category": "fatal"' not in processes.log("worker")
    finally:
        processes.stop_all()
        fake.stop()


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def _deferred_welcome(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as db:
        row = db.execute(
            # The welcome's job: the scheduler queues the stay's mid-stay check beside it.
            "SELECT id, run_at FROM automation_jobs WHERE kind = 'send_message' "
            "AND payload->>'trigger' = 'on-stay' "
            "AND status = 'queued' AND run_at > now() AND locked_by = ''"
        ).fetchone()
    return {"id": row[0], "run_at": row[1]} if row else None


def _job_status(url: str, job_id: int) -> str:
    with psycopg.connect(url) as db:
        return str(
            db.execute("SELECT status FROM automation_jobs WHERE id = %s", [job_id]).fetchone()[0]
        )
