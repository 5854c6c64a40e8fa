"""manage.py backup, and the restore docs/deploy.md describes: a dump restored into a fresh
PostgreSQL database holds the hotel's data, its row-level security and its encrypted credentials,
which only the same CREDENTIALS_ENCRYPTION_KEYS can read."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from innbox import crypto
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import as_role, django_connected_as

ROOT = Path(__file__).resolve().parent.parent


def hotel_with_credentials() -> factories.Hotel:
    hotel = factories.make_hotel("Hotel Cadangan")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        config = PMSConfiguration(tenant=hotel.tenant, provider="qloapps")
        config.set_credentials({"api_key": "qlo-secret-key"})
        config.save()
    return hotel


def backup(path: Path) -> str:
    out = io.StringIO()
    call_command("backup", output=path, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # as in production: committed data, no open transaction
def test_a_sqlite_backup_is_a_database_with_the_hotels_data(tmp_path: Path) -> None:
    hotel = hotel_with_credentials()
    target = tmp_path / "innbox.sqlite3"

    output = backup(target)

    assert f"Backup written: {target}" in output
    with sqlite3.connect(target) as copy:
        names = copy.execute("SELECT name FROM tenants").fetchall()
        token = copy.execute("SELECT credentials_encrypted FROM pms_configurations").fetchone()[0]
        guests = copy.execute("SELECT last_name FROM guests").fetchall()
    assert names == [("Hotel Cadangan",)]
    assert guests == [(hotel.guest.last_name,)]
    assert crypto.decrypt_json(token) == {"api_key": "qlo-secret-key"}
    assert not list(tmp_path.glob("*.partial"))
    assert target.stat().st_mode & 0o777 == 0o600, "guests' data: the owner's eyes only"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_restores_into_a_fresh_database_with_the_hotels_data(
    tmp_path: Path, fresh_database: str, settings: Any
) -> None:
    hotel = hotel_with_credentials()
    dump = tmp_path / "innbox.dump"
    backup(dump)

    # docs/deploy.md, "Restoring a backup": pg_restore into an empty database, as the owner.
    restored = subprocess.run(
        ["pg_restore", "--exit-on-error", "--no-owner", f"--dbname={fresh_database}", str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr

    with psycopg.connect(fresh_database) as owner:
        token = owner.execute("SELECT credentials_encrypted FROM pms_configurations").fetchone()[0]
        reservations = owner.execute("SELECT booking_code FROM reservations").fetchall()
    assert reservations == [(hotel.reservation.booking_code,)]
    assert crypto.decrypt_json(token) == {"api_key": "qlo-secret-key"}
    with pytest.raises(InvalidToken):  # another installation's key cannot read them
        Fernet(Fernet.generate_key()).decrypt(token.encode())

    # Row-level security came back with the tables: the app role sees the hotel only for it.
    with psycopg.connect(as_role(fresh_database, settings.DB_APP_ROLE)) as app:
        assert app.execute("SELECT count(*) FROM guests").fetchone()[0] == 0
        app.execute("SELECT set_config('app.tenant_id', %s, false)", [str(hotel.tenant.id)])
        assert app.execute("SELECT count(*) FROM guests").fetchone()[0] == 1

    # And Innbox finds every migration applied there.
    checked = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": fresh_database, "INNBOX_TEST_DB": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_as_the_app_role_is_refused_rather_than_empty(
    tmp_path: Path, settings: Any
) -> None:
    hotel_with_credentials()
    dump = tmp_path / "innbox.dump"
    with django_connected_as(settings.DB_APP_ROLE), pytest.raises(CommandError) as refused:
        backup(dump)
    assert "owner's database URL" in str(refused.value)
    assert not dump.exists() and not list(tmp_path.glob("*.partial"))
    assert connection.vendor == "postgresql"
