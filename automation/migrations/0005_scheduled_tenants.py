"""Which hotels the scheduler visits, asked before any hotel is known.

The scheduler runs in the worker (worker role) and behind POST /api/cron/automation/ (the web's
app role). RLS hides every tenants row until a tenant is set, so this SECURITY DEFINER function
answers only the hotels' ids; the scheduler then works for each inside acting_for_tenant, where
the tenant policy applies as usual.
"""

from django.db import migrations

from tenancy import rls
from tenancy.rls import PostgresOnlySQL


def _create_sql() -> str:
    grants = "\n".join(
        f'GRANT EXECUTE ON FUNCTION app_scheduled_tenant_ids() TO "{role}";'
        for role in rls.app_roles()
    )
    return f"""
CREATE OR REPLACE FUNCTION app_scheduled_tenant_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM tenants ORDER BY created_at, id $$;
REVOKE ALL ON FUNCTION app_scheduled_tenant_ids() FROM PUBLIC;
{grants}
"""  # noqa: S608 - role names are validated identifiers (config: DB_APP_ROLE, DB_WORKER_ROLE)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0004_row_level_security"),
        ("tenancy", "0004_tenant_by_public_id"),
    ]

    operations = [
        PostgresOnlySQL(_create_sql, "DROP FUNCTION IF EXISTS app_scheduled_tenant_ids();"),
    ]
