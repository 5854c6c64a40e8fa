"""Which hotel a webhook URL names, asked before any hotel is known.

The PMS webhook URL carries the hotel's public id; RLS hides every tenant row until the tenant
is known. This SECURITY DEFINER function answers only "the id of the hotel with this public id",
and only to the app role.
"""

from django.conf import settings
from django.db import migrations

from tenancy.rls import PostgresOnlySQL


def _create_sql() -> str:
    return f"""
CREATE OR REPLACE FUNCTION app_tenant_by_public_id(p_public_id uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM tenants WHERE public_id = p_public_id $$;
REVOKE ALL ON FUNCTION app_tenant_by_public_id(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_tenant_by_public_id(uuid) TO "{settings.DB_APP_ROLE}";
"""  # noqa: S608 - the role name is a validated identifier (config: DB_APP_ROLE)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0003_invitation_lookup")]

    operations = [
        PostgresOnlySQL(_create_sql, "DROP FUNCTION IF EXISTS app_tenant_by_public_id(uuid);"),
    ]
