"""What the benchmarks share: the database they measure on."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def pushing_hotel() -> tuple[Any, str]:
    """A new hotel with the default templates and a push PMS: (tenant, its webhook secret).
    Written as its owner (the benchmark's set-up, not what is measured)."""
    import uuid

    from messaging.defaults import seed_default_templates
    from pms import webhook as pms_webhook
    from pms.models import PMSConfiguration
    from tenancy.db import acting_for_tenant
    from tenancy.models import User
    from tenancy.services import create_tenant_with_owner

    owner = User.objects.create_user(f"bench-{uuid.uuid4().hex}@example.com", "bench-password-1")
    tenant = create_tenant_with_owner(owner, name="Benchmark Hotel")
    with acting_for_tenant(tenant.id, role="owner"):
        seed_default_templates(tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=tenant, provider="demo")
        )
    return tenant, secret


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


ROOT = Path(__file__).resolve().parent.parent
# Who spends the time, by the file each function's own time is spent in (C functions have no
# file, "~": psycopg's wait for the server is one of them, named by its function).
BUCKETS: list[tuple[str, Callable[[str], bool]]] = [
    ("PostgreSQL round trips (psycopg)", lambda where: "psycopg" in where),
    ("other network waits (sockets: WAHA, HTTP)", lambda where: "socket" in where),
    ("Django", lambda where: "/django/" in where),
    ("other libraries", lambda where: "site-packages" in where),
    ("Innbox's code", lambda where: where.startswith(str(ROOT)) and "/.venv/" not in where),
]


def where_time_goes(profiler: cProfile.Profile) -> str:
    """The profile's own (wall-clock) time by who spends it, as shares, largest first."""
    stats = pstats.Stats(profiler)
    spent: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        where = function if filename == "~" else filename
        bucket = next((name for name, test in BUCKETS if test(where)), "Python itself")
        spent[bucket] = spent.get(bucket, 0.0) + row[2]
    total = sum(spent.values()) or 1.0
    return ", ".join(
        f"{name} {seconds / total:.0%}"
        for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
    )
