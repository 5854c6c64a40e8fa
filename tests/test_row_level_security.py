"""The database wall: PostgreSQL row-level security, checked over real connections as the app role.

Test data is written through Django's connection (the migrating superuser, which bypasses RLS),
committed, and then probed from separate connections that log in as the app and worker roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Model
from psycopg import sql

from tenancy.models import Tenant
from tests import factories
from tests.helpers import innbox_apps

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INNBOX_APPS = innbox_apps()
SETTINGS_TABLES = {
    "tenants",
    "tenant_users",
    "invitations",
    "pms_configurations",
    "waha_configurations",
    "board_settings",
    "menu_items",
    "knowledge_entries",
    "data_requests",
    "journey_settings",
    "feedback_settings",
}
OPERATIONAL_TABLES_STAFF_USE = [
    "guests",
    "reservations",
    "message_logs",
    # Staff move orders and requests along on the boards.
    "room_service_orders",
    "housekeeping_requests",
]


def tenant_scoped_models() -> list[type[Model]]:
    """Every model with a tenant, found from the models: a new one is covered automatically."""
    found: list[type[Model]] = [Tenant]
    for model in apps.get_models():
        if model._meta.app_label not in INNBOX_APPS or model is Tenant:
            continue
        field = next((f for f in model._meta.fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            found.append(model)
    return found


def tenant_key(model: type[Model]) -> str:
    return "id" if model is Tenant else "tenant_id"


TABLES = [model._meta.db_table for model in tenant_scoped_models()]
KEYS = {model._meta.db_table: tenant_key(model) for model in tenant_scoped_models()}


@pytest.fixture
def hotels() -> tuple[factories.Hotel, factories.Hotel]:
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    factories.fill_every_table(a)
    factories.fill_every_table(b)
    return a, b


def _dsn(user: str) -> str:
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        host=params.get("host", "127.0.0.1"),
        port=params.get("port", 5432),
        dbname=params["dbname"],
        user=user,
    )


@contextmanager
def connected_as(
    user: str, *, tenant: Tenant | None = None, role: str = "", user_id: int | None = None
) -> Iterator[psycopg.Connection]:
    """A real login as `user`, in one transaction with the RLS context set; rolled back after."""
    with psycopg.connect(_dsn(user)) as conn, conn.transaction(force_rollback=True):
        conn.execute(
            "SELECT set_config('app.tenant_id', %s, true), set_config('app.role', %s, true),"
            " set_config('app.user_id', %s, true)",
            [str(tenant.id) if tenant else "", role, str(user_id or "")],
        )
        yield conn


def _count(conn: psycopg.Connection, table: str, key: str, tenant: Tenant) -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(key)
    )
    return conn.execute(query, [tenant.id]).fetchone()[0]


def _as_superuser(table: str, key: str, tenant: Tenant) -> dict[str, Any]:
    """One row of `tenant` in `table`, read past RLS, without its generated columns (the
    database computes those: a copy may not write them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT * FROM "{table}" WHERE "{key}" = %s LIMIT 1',
            [tenant.id],
        )
        columns = [col.name for col in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attgenerated <> ''",
            [table],
        )
        for (generated,) in cursor.fetchall():
            row.pop(generated)
        return row


def _insert_copy(conn: psycopg.Connection, table: str, row: dict[str, Any]) -> None:
    row = {k: v for k, v in row.items() if k != "id" or isinstance(v, uuid.UUID)}
    for name, value in list(row.items()):
        if isinstance(value, uuid.UUID) and name in {"id", "public_id"}:
            row[name] = uuid.uuid4()
        elif isinstance(value, dict | list):
            row[name] = psycopg.types.json.Jsonb(value)
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(name) for name in row),
        sql.SQL(", ").join(sql.Placeholder() for _ in row),
    )
    conn.execute(query, list(row.values()))


def _rls_refuses(conn: psycopg.Connection, action: Any) -> bool:
    try:
        with conn.transaction():
            action()
    except psycopg.errors.InsufficientPrivilege as exc:
        return "row-level security" in str(exc)
    return False


def _touch(conn: psycopg.Connection, table: str, key: str, tenant: Tenant) -> int:
    query = sql.SQL("UPDATE {} SET {} = {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(key), sql.Identifier(key), sql.Identifier(key)
    )
    return conn.execute(query, [tenant.id]).rowcount


def _delete(conn: psycopg.Connection, table: str, key: str, tenant: Tenant) -> int:
    query = sql.SQL("DELETE FROM {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(key)
    )
    return conn.execute(query, [tenant.id]).rowcount


def test_it_enumerates_every_tenant_table_of_the_plan() -> None:
    expected = {
        "tenants",
        "tenant_users",
        "invitations",
        "pms_configurations",
        "waha_configurations",
        "guests",
        "reservations",
        "room_service_orders",
        "housekeeping_requests",
        "board_settings",
        "message_templates",
        "message_template_variants",
        "message_logs",
        "inbound_events",
        "automation_jobs",
        "menu_items",
        "knowledge_entries",
        "agent_pending_orders",
        "audit_entries",
        "consent_events",
        "data_requests",
    }
    assert expected <= set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_it_forces_row_level_security_on_every_tenant_table(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
            [table],
        )
        assert cursor.fetchone() == (True, True), f"{table}: RLS not enabled and forced"
        cursor.execute("SELECT count(*) FROM pg_policies WHERE tablename = %s", [table])
        assert cursor.fetchone()[0] > 0, f"{table}: no policy"


@pytest.mark.parametrize("table", TABLES)
def test_it_hides_and_protects_other_tenants_rows_from_the_app_role(
    table: str, hotels: tuple[factories.Hotel, factories.Hotel]
) -> None:
    a, b = hotels
    key = KEYS[table]
    b_row = _as_superuser(table, key, b.tenant)  # B's row exists: the checks below mean something
    with connected_as(
        settings.DB_APP_ROLE, tenant=a.tenant, role="owner", user_id=a.owner.pk
    ) as conn:
        assert _count(conn, table, key, a.tenant) >= 1
        assert _count(conn, table, key, b.tenant) == 0
        assert _touch(conn, table, key, b.tenant) == 0
        assert _delete(conn, table, key, b.tenant) == 0
        assert _rls_refuses(conn, lambda: _insert_copy(conn, table, b_row))
    with connected_as(
        settings.DB_APP_ROLE, tenant=b.tenant, role="owner", user_id=b.owner.pk
    ) as conn:
        assert _count(conn, table, key, b.tenant) >= 1, "B's rows survived A's update and delete"


@pytest.mark.parametrize("table", sorted(SETTINGS_TABLES))
def test_it_refuses_staff_writes_to_settings_tables(
    table: str, hotels: tuple[factories.Hotel, factories.Hotel]
) -> None:
    a, _ = hotels
    key = KEYS[table]
    own_row = _as_superuser(table, key, a.tenant)
    with connected_as(
        settings.DB_APP_ROLE, tenant=a.tenant, role="staff", user_id=a.staff.pk
    ) as conn:
        assert _count(conn, table, key, a.tenant) >= 1, "staff can read their hotel's settings"
        assert _touch(conn, table, key, a.tenant) == 0
        assert _delete(conn, table, key, a.tenant) == 0
        assert _rls_refuses(conn, lambda: _insert_copy(conn, table, own_row))


@pytest.mark.parametrize("table", OPERATIONAL_TABLES_STAFF_USE)
def test_it_lets_staff_read_and_work_with_operational_tables(
    table: str, hotels: tuple[factories.Hotel, factories.Hotel]
) -> None:
    a, _ = hotels
    with connected_as(
        settings.DB_APP_ROLE, tenant=a.tenant, role="staff", user_id=a.staff.pk
    ) as conn:
        assert _count(conn, table, "tenant_id", a.tenant) >= 1
        assert _touch(conn, table, "tenant_id", a.tenant) >= 1


def test_it_shows_nothing_without_a_tenant_context(
    hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    with connected_as(settings.DB_APP_ROLE) as conn:
        for table in TABLES:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            assert conn.execute(query).fetchone()[0] == 0, table


def test_it_lets_a_user_read_only_their_own_membership_before_the_tenant_is_known(
    hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = hotels
    with connected_as(settings.DB_APP_ROLE, user_id=a.staff.pk) as conn:
        rows = conn.execute("SELECT user_id, tenant_id FROM tenant_users").fetchall()
    assert rows == [(a.staff.pk, a.tenant.id)]


def test_it_refuses_a_second_hotel_for_one_user_in_the_database(
    hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, b = hotels
    with (
        connected_as(
            settings.DB_APP_ROLE, tenant=b.tenant, role="owner", user_id=b.owner.pk
        ) as conn,
        pytest.raises(psycopg.errors.UniqueViolation),
    ):
        conn.execute(
            "INSERT INTO tenant_users (public_id, tenant_id, user_id, role, created_at) "
            "VALUES (%s, %s, %s, 'staff', now())",
            [uuid.uuid4(), b.tenant.id, a.staff.pk],
        )


def test_it_gives_the_app_roles_no_way_around_the_policies() -> None:
    with connection.cursor() as cursor:
        for role in (settings.DB_APP_ROLE, settings.DB_WORKER_ROLE):
            cursor.execute(
                "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = %s",
                [role],
            )
            assert cursor.fetchone() == (False, False, False), role
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
                [role],
            )
            assert cursor.fetchone()[0] == 0, f"{role} owns tables"


def test_it_lets_the_worker_claim_jobs_of_every_tenant_but_act_for_one(
    hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, b = hotels
    with connected_as(settings.DB_WORKER_ROLE) as conn:
        claimed = conn.execute("SELECT * FROM app_claim_due_jobs('worker-1', 60, 10)").fetchall()
        assert {tenant_id for _, tenant_id in claimed} == {a.tenant.id, b.tenant.id}
        assert conn.execute("SELECT * FROM app_claim_due_jobs('worker-2', 60, 10)").fetchall() == []
        assert conn.execute("SELECT count(*) FROM automation_jobs").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM guests").fetchone()[0] == 0
    with connected_as(settings.DB_WORKER_ROLE, tenant=a.tenant, role="system") as conn:
        assert _count(conn, "guests", "tenant_id", a.tenant) == 1
        assert _count(conn, "guests", "tenant_id", b.tenant) == 0
        assert _count(conn, "automation_jobs", "tenant_id", b.tenant) == 0
        assert _touch(conn, "automation_jobs", "tenant_id", b.tenant) == 0


def test_only_the_worker_may_claim_jobs_and_only_the_app_may_look_up_invitations(
    hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    with (
        connected_as(settings.DB_APP_ROLE) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT * FROM app_claim_due_jobs('intruder', 60, 10)")
    with (
        connected_as(settings.DB_WORKER_ROLE) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT app_invitation_tenant('x')")
