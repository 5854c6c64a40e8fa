"""What the benchmarks share: the database they measure on."""

from __future__ import annotations

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
