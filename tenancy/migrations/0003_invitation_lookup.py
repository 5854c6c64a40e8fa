"""Find an invitation's hotel from its token before the hotel is known.

An invitation link is opened by someone who is not (yet) a member of the hotel, so no tenant
context exists and RLS hides every invitation. This SECURITY DEFINER function, owned by the
migrating role (which must be a superuser or have BYPASSRLS, see docs/migrations.md), answers only
"which hotel issued the invitation with this token hash"; the caller then reads the invitation
inside that hotel's context. Knowing the hash requires knowing the token.
"""

from django.conf import settings
from django.db import migrations

from tenancy.rls import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_row_level_security")]

    operations = [
        PostgresOnlySQL(
            lambda: (
                f"""
CREATE OR REPLACE FUNCTION app_invitation_tenant(p_token_hash text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT tenant_id FROM invitations WHERE token_hash = p_token_hash $$;
REVOKE ALL ON FUNCTION app_invitation_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_invitation_tenant(text) TO "{settings.DB_APP_ROLE}";
"""  # noqa: S608 - the role name is a validated identifier (config: DB_APP_ROLE)
            ),
            "DROP FUNCTION IF EXISTS app_invitation_tenant(text);",
        ),
    ]
