"""Moving from the SQLite demo to PostgreSQL, exactly as docs/deploy.md says: dumpdata on SQLite,
migrate and loaddata on a fresh PostgreSQL database as the owner. Every row arrives, the sequences
continue after the highest id, row-level security applies to the moved rows, and the owner's
password still works."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.helpers import as_role

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
# docs/deploy.md, "From the SQLite demo to PostgreSQL".
DUMP_EXCLUDES = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "automation.workerheartbeat",
]
TABLES = [
    "tenants",
    "users",
    "tenant_users",
    "guests",
    "reservations",
    "reservation_transitions",
    "message_templates",
    "message_template_variants",
    "message_logs",
    "automation_jobs",
    "pms_configurations",
    "pms_sync_runs",
]
CHECK_LOGIN = """
from tenancy.models import User
print(User.objects.get(email="owner@demo.innbox.test").check_password("innbox-demo-2026"))
"""


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "INNBOX_TEST_DB": ""},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_sqlite_demo_moves_to_postgresql(
    tmp_path: Path,
    fresh_database: str,
    settings,
) -> None:
    demo = f"sqlite:///{tmp_path / 'innbox.sqlite3'}"
    manage(demo, "migrate", "--no-input")
    manage(demo, "seed_demo")
    dump = tmp_path / "innbox.json"
    excludes = [arg for app in DUMP_EXCLUDES for arg in ("--exclude", app)]
    manage(demo, "dumpdata", *excludes, "--output", str(dump))

    manage(fresh_database, "migrate", "--no-input")
    manage(fresh_database, "loaddata", str(dump))

    with sqlite3.connect(tmp_path / "innbox.sqlite3") as before:
        expected = {t: before.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    with psycopg.connect(fresh_database) as owner:
        moved = {t: owner.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        hotel = owner.execute("SELECT id FROM tenants").fetchone()[0]
        # New rows get new ids: every sequence continues after the rows that moved.
        for table in ("users", "guests", "reservations", "message_logs", "automation_jobs"):
            highest = owner.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            following = owner.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table]
            ).fetchone()[0]
            assert following > highest, table
    assert moved == expected
    assert expected["reservations"] > 100 and expected["message_templates"] > 0

    with psycopg.connect(as_role(fresh_database, settings.DB_APP_ROLE)) as app:
        assert app.execute("SELECT count(*) FROM guests").fetchone()[0] == 0
        app.execute("SELECT set_config('app.tenant_id', %s, false)", [str(hotel)])
        assert app.execute("SELECT count(*) FROM guests").fetchone()[0] == expected["guests"]

    assert manage(fresh_database, "shell", "-c", CHECK_LOGIN).stdout.splitlines()[-1] == "True"
