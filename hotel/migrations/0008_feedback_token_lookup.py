"""Which reservation a feedback link belongs to, asked by a guest who is not logged in.

Answers only the reservation's id and hotel for the SHA-256 of a token, to the app role only;
the form then reads the reservation inside that hotel's context.
"""

from django.conf import settings
from django.db import migrations

from tenancy.rls import PostgresOnlySQL


def _create_sql() -> str:
    return f"""
CREATE OR REPLACE FUNCTION app_reservation_by_feedback_token(p_hash text)
    RETURNS TABLE (reservation_id bigint, tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id, tenant_id FROM reservations WHERE feedback_token_hash = p_hash $$;
REVOKE ALL ON FUNCTION app_reservation_by_feedback_token(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_reservation_by_feedback_token(text) TO "{settings.DB_APP_ROLE}";
"""  # noqa: S608 - the role name is a validated identifier (config: DB_APP_ROLE)


class Migration(migrations.Migration):
    dependencies = [("hotel", "0007_feedback_token"), ("tenancy", "0004_tenant_by_public_id")]

    operations = [
        PostgresOnlySQL(
            _create_sql, "DROP FUNCTION IF EXISTS app_reservation_by_feedback_token(text);"
        ),
    ]
