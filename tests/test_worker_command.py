"""manage.py run_worker as an operator runs it: real processes on a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


WORKER_WAHA_KEY = "worker-test-key"


def paired_fake_waha() -> Any:
    """A fake WAHA whose "default" session is already paired with the hotel's phone."""
    from tests.fake_waha import FakeWaha, Session

    fake = FakeWaha(api_key=WORKER_WAHA_KEY).start()
    fake.sessions["default"] = Session(name="default", config={})
    fake.pair("default")
    return fake


def worker_environment(database: Path, fake: Any) -> dict[str, str]:
    """This process's environment for manage.py on its own SQLite file, sending through `fake`
    without pacing waits (pacing has its own tests)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"INNBOX_TEST_DB", "DJANGO_SETTINGS_MODULE", "RUN_MAIN"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        WAHA_BASE_URL=fake.url,
        WAHA_API_KEY=WORKER_WAHA_KEY,
        WAHA_MIN_GAP_SECONDS="0",
        WAHA_MAX_GAP_SECONDS="0",
        WAHA_MAX_TYPING_SECONDS="0",
    )
    return env


@pytest.mark.slow
def test_several_worker_processes_drain_the_queue(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"INNBOX_TEST_DB", "DJANGO_SETTINGS_MODULE", "RUN_MAIN"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    assert manage(env, "migrate", "--no-input").returncode == 0
    assert manage(env, "seed_demo").returncode == 0
    queued = manage(
        env,
        "shell",
        "-c",
        "from automation import queue; from automation.models import JobKind; "
        "from tenancy.models import Tenant; t = Tenant.objects.get(); "
        "[queue.enqueue(t, JobKind.PMS_SYNC, {'trigger': 'manual'}) for _ in range(3)]",
    )
    assert queued.returncode == 0, queued.stderr

    worker = manage(env, "run_worker", "--concurrency", "2", "--once")

    assert worker.returncode == 0, worker.stderr[-2000:]
    assert worker.stderr.count("worker_started") == 2
    done = manage(
        env,
        "shell",
        "-c",
        "from automation.models import AutomationJob; "
        "print(sorted(AutomationJob.objects.filter(kind='pms_sync').values_list('status', flat=True)))",
    )
    assert done.stdout.strip().splitlines()[-1] == "['succeeded', 'succeeded', 'succeeded']", (
        done.stdout
    )


SETUP_HOTEL_WITH_A_QUEUED_MESSAGE = """
from messaging import services
from tests import factories
from whatsapp.models import WahaConfiguration
hotel = factories.make_hotel("Hotel Kill")
WahaConfiguration.objects.create(tenant=hotel.tenant, session_name="default", status="WORKING")
services.send_manual(hotel.tenant, reservation=hotel.reservation, guest=None, free_text="Hi {{guestName}}")
"""

REPORT = """
from automation.models import AutomationJob
from messaging.models import MessageLog
job = AutomationJob.objects.get()
message = MessageLog.objects.get()
print(job.status, job.payload.get("result", {}).get("reconciled"), message.status, message.waha_message_id)
"""


@pytest.mark.slow
def test_a_worker_killed_while_waha_holds_its_message_completes_the_job_exactly_once(
    tmp_path: Path,
) -> None:
    import signal
    import sqlite3
    import time

    fake = paired_fake_waha()
    try:
        database = tmp_path / "worker.sqlite3"
        env = worker_environment(database, fake)
        assert manage(env, "migrate", "--no-input").returncode == 0
        setup = manage(env, "shell", "-c", SETUP_HOTEL_WITH_A_QUEUED_MESSAGE)
        assert setup.returncode == 0, setup.stderr[-2000:]
        # WhatsApp takes the message, then the answer hangs: the worker is killed waiting for it.
        fake.fail("POST", "/api/sendText", status=None, delay=30, after_delivery=True)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not fake.sent_texts:
            assert time.monotonic() < deadline, "the worker never sent"
            time.sleep(0.1)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

        with sqlite3.connect(database) as db:
            state = db.execute("SELECT status FROM automation_jobs").fetchone()[0]
            # Time passes: the dead worker's lease runs out, and its send can no longer be on
            # its way (the worker settles only after that).
            db.execute("UPDATE automation_jobs SET locked_until = '2000-01-01 00:00:00'")
            db.execute(
                "UPDATE message_logs SET send_started_at = "
                "strftime('%Y-%m-%d %H:%M:%f', 'now', '-10 minutes')"
            )
        assert state == "running"
        again = manage(env, "run_worker", "--once")
        assert again.returncode == 0, again.stderr[-2000:]

        report = manage(env, "shell", "-c", REPORT).stdout.strip().splitlines()[-1]
        assert report == f"succeeded True sent {fake.sent_texts[0]['id']}"
        assert len(fake.sent_texts) == 1
    finally:
        fake.stop()


@pytest.mark.slow
def test_once_runs_everything_that_is_due_then_exits(tmp_path: Path) -> None:
    """What a cron-only installation relies on: one `run_worker --once` empties the queue, not
    just the first handful of jobs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"INNBOX_TEST_DB", "DJANGO_SETTINGS_MODULE", "RUN_MAIN", "WAHA_BASE_URL"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'once.sqlite3'}"
    assert manage(env, "migrate", "--no-input").returncode == 0
    queued = manage(
        env,
        "shell",
        "-c",
        "from messaging import services; from tests import factories; "
        "hotel = factories.make_hotel('Hotel Cron'); "
        "[services.send_manual(hotel.tenant, reservation=hotel.reservation, guest=None, "
        "free_text=f'Note {n}') for n in range(25)]",
    )
    assert queued.returncode == 0, queued.stderr[-2000:]

    worker = manage(env, "run_worker", "--once")

    assert worker.returncode == 0, worker.stderr[-2000:]
    done = manage(
        env,
        "shell",
        "-c",
        "from messaging.models import MessageLog; "
        "print(sorted(set(MessageLog.objects.values_list('status', flat=True))), "
        "MessageLog.objects.count())",
    )
    assert done.stdout.strip().splitlines()[-1] == "['sent'] 25", done.stdout


@pytest.mark.slow
def test_sigterm_stops_after_the_job_in_hand_and_hands_back_the_rest(tmp_path: Path) -> None:
    """An orchestrator sends SIGTERM and waits a few seconds before SIGKILL: the worker finishes
    the send in hand and gives the rest of its claim back to the queue, instead of working
    through all of it."""
    import signal
    import sqlite3
    import time

    fake = paired_fake_waha()
    fake.send_latency = 2.0
    try:
        database = tmp_path / "term.sqlite3"
        env = worker_environment(database, fake)
        assert manage(env, "migrate", "--no-input").returncode == 0
        setup = manage(
            env,
            "shell",
            "-c",
            "from messaging import services; from tests import factories; "
            "from whatsapp.models import WahaConfiguration; "
            "hotel = factories.make_hotel('Hotel Term'); "
            "WahaConfiguration.objects.create(tenant=hotel.tenant, session_name='default', "
            "status='WORKING'); "
            "[services.send_manual(hotel.tenant, reservation=hotel.reservation, guest=None, "
            "free_text=f'Note {n}') for n in range(5)]",
        )
        assert setup.returncode == 0, setup.stderr[-2000:]
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not fake.requests_to("/api/sendText"):
            assert time.monotonic() < deadline, "the worker never sent"
            time.sleep(0.05)

        asked_to_stop = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        took = time.monotonic() - asked_to_stop

        assert worker.returncode == 0
        assert took < 5, f"the worker took {took:.1f} s to stop"
        assert len(fake.sent_texts) == 1
        with sqlite3.connect(database) as db:
            states = sorted(row[0] for row in db.execute("SELECT status FROM automation_jobs"))
        assert states == ["queued", "queued", "queued", "queued", "succeeded"]
        assert "jobs_released" in (worker.stderr.read() if worker.stderr else "")
    finally:
        fake.stop()
