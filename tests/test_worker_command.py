"""manage.py run_worker as an operator runs it: real processes on a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
