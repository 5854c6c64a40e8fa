"""What the benchmarks share: the database they measure on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.core.management import call_command
from django.db import connection


def prepare_database(*, fresh: bool) -> None:
    """Migrate the benchmark's database; on PostgreSQL create it first, or with `fresh` drop and
    create it, so every run starts from the same place."""
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        with psycopg.connect(
            host=params["HOST"] or "127.0.0.1",
            port=params["PORT"] or 5432,
            user=params["USER"],
            dbname="postgres",
            autocommit=True,
        ) as admin:
            name = params["NAME"]
            if fresh:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not exists.fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def as_app_role() -> str:
    """From here on the web app's role, as production serves pages: PostgreSQL only, where the
    owner (superuser) would bypass row-level security and measure a different plan."""
    from django.conf import settings

    if connection.vendor != "postgresql":
        return "sqlite (no row-level security)"
    connection.close()
    connection.settings_dict["USER"] = settings.DB_APP_ROLE
    return settings.DB_APP_ROLE


def as_worker_role() -> str:
    """From here on the worker's role, as `run_worker` connects in production (PostgreSQL)."""
    from django.conf import settings

    if connection.vendor != "postgresql":
        return "sqlite (no row-level security)"
    connection.close()
    connection.settings_dict["USER"] = settings.DB_WORKER_ROLE
    return settings.DB_WORKER_ROLE


@contextmanager
def connected_as(role: str) -> Iterator[str]:
    """Inside, every new connection (this thread's and other threads') is `role`'s; the owner's
    again afterwards, for the benchmark's own set-up. PostgreSQL only; a no-op on SQLite."""
    if connection.vendor != "postgresql":
        yield "sqlite (no row-level security)"
        return
    original = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role  # the dict every thread's connection is made from
    try:
        yield role
    finally:
        connection.close()
        connection.settings_dict["USER"] = original
