"""A consistent copy of the database in one file (docs/deploy.md, "Backups" and "Restoring").

PostgreSQL: `pg_dump -Fc` (custom format: compressed, restored with pg_restore, one table at a time
if need be). It must run as the tables' owner: the app and worker roles see no rows under RLS, and
pg_dump refuses rather than write an empty backup. SQLite: the sqlite3 backup API, which copies a
consistent snapshot while the web and worker keep writing.

Stored secrets stay encrypted in the copy: restoring it needs the same CREDENTIALS_ENCRYPTION_KEYS.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection


class BackupFailed(Exception):
    pass


def default_path(directory: Path, now: dt.datetime) -> Path:
    suffix = ".dump" if connection.vendor == "postgresql" else ".sqlite3"
    return directory / f"innbox-{now:%Y%m%d-%H%M%S}{suffix}"


def write(target: Path) -> Path:
    """Write the backup next to `target`, then move it there: a failed run never leaves a
    partial file that looks like a backup."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if connection.vendor == "postgresql":
            _pg_dump(partial)
        else:
            _sqlite_copy(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target


def _pg_dump(target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupFailed("pg_dump is not installed (Debian: apt install postgresql-client)")
    params = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(params.get("PASSWORD") or "")}
    command = [
        pg_dump,
        "--format=custom",
        f"--file={target}",
        f"--host={params.get('HOST') or 'localhost'}",
        f"--port={params.get('PORT') or 5432}",
        f"--username={params.get('USER') or ''}",
        str(params["NAME"]),
    ]
    result = subprocess.run(  # noqa: S603 - our own arguments, no shell
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        hint = ""
        if "row-level security" in result.stderr:
            hint = " Run the backup with the owner's database URL (MIGRATE_DATABASE_URL)."
        raise BackupFailed(f"pg_dump failed: {result.stderr.strip()}{hint}")


def _sqlite_copy(target: Path) -> None:
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    copy.close()
