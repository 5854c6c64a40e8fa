"""Which hotel holds a WAHA session, asked before any hotel is known.

WAHA's webhooks name only the session; with WAHA Core there is one session ("default") for the
whole installation, and a second hotel must be told who holds it. Both questions are answered by
this SECURITY DEFINER function (owned by the migrating role, which bypasses RLS), executable by
the app role only. It returns the holder's id and name, nothing else.
"""

from django.conf import settings
from django.db import migrations

from tenancy.rls import PostgresOnlySQL


def _create_sql() -> str:
    return f"""
CREATE OR REPLACE FUNCTION app_waha_session_owner(p_session_name text)
    RETURNS TABLE (tenant_id uuid, tenant_name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT config.tenant_id, tenant.name::text
        FROM waha_configurations AS config JOIN tenants AS tenant ON tenant.id = config.tenant_id
        WHERE config.session_name = p_session_name
    $$;
REVOKE ALL ON FUNCTION app_waha_session_owner(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_waha_session_owner(text) TO "{settings.DB_APP_ROLE}";
"""  # noqa: S608 - the role name is a validated identifier (config: DB_APP_ROLE)


class Migration(migrations.Migration):
    dependencies = [
        ("whatsapp", "0003_waha_pacing_and_states"),
        ("tenancy", "0003_invitation_lookup"),
    ]

    operations = [
        PostgresOnlySQL(_create_sql, "DROP FUNCTION IF EXISTS app_waha_session_owner(text);"),
    ]
