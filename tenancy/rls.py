"""The database wall: PostgreSQL row-level security on every tenant-scoped table.

Each request (or worker job) sets, inside its transaction:
    app.tenant_id  the tenant it acts for      (set_config(..., true) = SET LOCAL)
    app.role       owner | staff | system      (system: webhooks and the worker)
    app.user_id    the logged-in user, so a user can read their own membership before the
                   tenant is known

Policies compare rows with those settings. The web app and the worker connect as roles that own
nothing and cannot bypass RLS; migrations run as the owner of the tables. On SQLite the
operations below do nothing: there the application wall (tenant-filtered querysets) stands alone.

Migrations use the operations here, one per table, so a table's isolation is reviewed together
with the table itself (docs/migrations.md has the rollback notes).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import migrations


class Policy(StrEnum):
    # Guests, reservations, messages...: everyone of the tenant reads and writes.
    OPERATIONAL = "operational"
    # Connections, invitations, memberships: everyone of the tenant reads; owners (and the
    # system acting for the tenant) write.
    SETTINGS = "settings"
    # The audit log: append-only. Owners and the system read and add rows; staff only rows that
    # name them as the actor (their own logins, their own actions), so staff can neither read the
    # log nor write a row in someone else's name. No policy updates or deletes a row.
    AUDIT = "audit"


TENANT_EXPR = "tenant_id = app_current_tenant()"
WRITER_EXPR = "app_current_role() IN ('owner', 'system')"
AUDIT_EXPR = f"({WRITER_EXPR} OR actor_id = app_current_user_id())"

HELPER_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION app_current_role() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.role', true), '') $$;
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;
"""

DROP_HELPER_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS app_current_tenant();
DROP FUNCTION IF EXISTS app_current_role();
DROP FUNCTION IF EXISTS app_current_user_id();
"""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def app_roles() -> list[str]:
    return [settings.DB_APP_ROLE, settings.DB_WORKER_ROLE]


def create_roles_sql() -> str:
    """Login roles without ownership or BYPASSRLS; their passwords are set by the deployment."""
    statements = []
    for role in app_roles():
        statements.append(
            f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {_quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO {_quote(role)};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {_quote(role)};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {_quote(role)};
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {_quote(role)};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {_quote(role)};
DO $$ BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {_quote(role)}', current_database());
END $$;
"""
        )
    return "\n".join(statements)


def revoke_roles_sql() -> str:
    # Roles are cluster-wide and may serve other databases: revoke here, never drop.
    statements = []
    for role in app_roles():
        statements.append(
            f"""
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {_quote(role)};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            REVOKE USAGE, SELECT ON SEQUENCES FROM {_quote(role)};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {_quote(role)};
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {_quote(role)};
    END IF;
END $$;
"""  # noqa: S608 - role names are validated identifiers (config: DB_*_ROLE pattern)
        )
    return "\n".join(statements)


def policy_sql(table: str, policy: Policy, key: str = "tenant_id") -> str:
    tenant_match = TENANT_EXPR.replace("tenant_id", key, 1)
    t = _quote(table)
    grants = "\n".join(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {_quote(role)};" for role in app_roles()
    )
    head = f"""
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
{grants}
"""
    if policy is Policy.OPERATIONAL:
        return head + (
            f"CREATE POLICY tenant_isolation ON {t} FOR ALL "
            f"USING ({tenant_match}) WITH CHECK ({tenant_match});"
        )
    if policy is Policy.AUDIT:
        audit = f"{tenant_match} AND {AUDIT_EXPR}"
        return head + (
            f"CREATE POLICY audit_read ON {t} FOR SELECT USING ({audit});\n"
            f"CREATE POLICY audit_insert ON {t} FOR INSERT WITH CHECK ({audit});"
        )
    writer = f"{tenant_match} AND {WRITER_EXPR}"
    return (
        head
        + f"""
CREATE POLICY tenant_read ON {t} FOR SELECT USING ({tenant_match});
CREATE POLICY owner_insert ON {t} FOR INSERT WITH CHECK ({writer});
CREATE POLICY owner_update ON {t} FOR UPDATE USING ({writer}) WITH CHECK ({writer});
CREATE POLICY owner_delete ON {t} FOR DELETE USING ({writer});
"""
    )


def drop_policy_sql(table: str) -> str:
    t = _quote(table)
    return f"""
DROP POLICY IF EXISTS tenant_isolation ON {t};
DROP POLICY IF EXISTS tenant_read ON {t};
DROP POLICY IF EXISTS owner_insert ON {t};
DROP POLICY IF EXISTS owner_update ON {t};
DROP POLICY IF EXISTS owner_delete ON {t};
DROP POLICY IF EXISTS audit_read ON {t};
DROP POLICY IF EXISTS audit_insert ON {t};
ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;
"""


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that is skipped on SQLite, and builds its SQL lazily from settings."""

    def __init__(self, forward: Any, backward: Any = None) -> None:
        self._forward = forward
        self._backward = backward
        super().__init__(sql="", reverse_sql="" if backward is not None else None)

    def _sql(self, builder: Any) -> str:
        return builder() if callable(builder) else builder

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            self._run_sql(schema_editor, self._sql(self._forward))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql" and self._backward is not None:
            self._run_sql(schema_editor, self._sql(self._backward))

    def describe(self) -> str:
        return "PostgreSQL-only SQL (row-level security)"


class EnableTenantRLS(PostgresOnlySQL):
    """Enable and force RLS on one table, with the policies of its kind."""

    def __init__(self, table: str, policy: Policy, key: str = "tenant_id") -> None:
        self.table, self.policy, self.key = table, policy, key
        super().__init__(
            forward=lambda: policy_sql(table, policy, key),
            backward=lambda: drop_policy_sql(table),
        )

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            f"{self.__class__.__module__}.{self.__class__.__name__}",
            [self.table, self.policy],
            {"key": self.key},
        )

    def describe(self) -> str:
        return f"Row-level security ({self.policy}) on {self.table}"
