"""The searches of /guests/ and /reservations/ under row-level security (hotel/search.py).

- `booking_code_normalised`: the booking code upper-cased and trimmed, kept by the database
  (a stored generated column), compared with `=`: leakproof, so usable in an index by the app
  role under RLS, where `upper(booking_code)` is not.
- pg_trgm GIN indexes on the searched guest expressions (name, email, phone) and expression
  indexes on the reservation's PMS id and room in upper case.
- `app_search_guests` / `app_search_reservations`: SECURITY DEFINER functions owned by the
  tables' owner (which bypasses RLS, docs/migrations.md), so the planner may use those indexes.
  They read the tenant from the session's RLS context (`app_current_tenant()`, the setting every
  policy reads), never from an argument, and answer nothing without one. They answer ids only;
  the page reads the rows under RLS. Only the app role may call them.

Reversing drops the functions and the indexes; the pg_trgm extension stays (harmless, and
another database object may use it).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Trim, Upper

from tenancy.rls import PostgresOnlySQL

# LIKE's wildcards and its escape character typed by the desk are matched as themselves.
CONTAINS_PATTERN_SQL = r"""
CREATE OR REPLACE FUNCTION app_contains_pattern(p_text text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog
    AS $$ SELECT '%' || replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;
"""

# Every word in the first or last name (a word has no space, so "in first || ' ' || last" is
# "in either"), or the whole text in the email, or the digits in the phone.
GUESTS_SQL = r"""
CREATE OR REPLACE FUNCTION app_search_guests(
    p_words text[], p_whole text, p_digits text, p_limit integer
) RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    ROWS 100
AS $fn$
DECLARE
    tenant uuid := app_current_tenant();
    n integer := least(coalesce(array_length(p_words, 1), 0), 5);
    patterns text[];
    by_name text := 'true';
BEGIN
    IF tenant IS NULL OR n = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(app_contains_pattern(w) ORDER BY i) INTO patterns
        FROM unnest(p_words[1:n]) WITH ORDINALITY AS t(w, i);
    FOR i IN 1 .. n LOOP
        by_name := by_name
            || format(' AND (g.first_name || '' '' || g.last_name) ILIKE $2[%s]', i);
    END LOOP;
    -- Only array subscripts are formatted into the statement; every value is a parameter.
    RETURN QUERY EXECUTE
        'SELECT g.id FROM guests g WHERE g.tenant_id = $1 AND ((' || by_name || ')'
        || ' OR g.email ILIKE $3'
        || CASE WHEN coalesce(p_digits, '') <> '' THEN ' OR g.phone_e164 LIKE $4' ELSE '' END
        || ') LIMIT $5'
        USING tenant, patterns, app_contains_pattern(coalesce(p_whole, '')),
              app_contains_pattern(coalesce(p_digits, '')), p_limit;
END
$fn$;
"""

# Every word is in the guest's name, or is the booking code, the PMS id or the room (any case).
# One UNION per word, each arm an index scan; the words' sets intersected.
RESERVATIONS_SQL = r"""
CREATE OR REPLACE FUNCTION app_search_reservations(p_words text[], p_limit integer)
    RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    ROWS 100
AS $fn$
DECLARE
    tenant uuid := app_current_tenant();
    n integer := least(coalesce(array_length(p_words, 1), 0), 5);
    patterns text[];
    codes text[];
    parts text[] := '{}';
BEGIN
    IF tenant IS NULL OR n = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(app_contains_pattern(w) ORDER BY i), array_agg(upper(btrim(w)) ORDER BY i)
        INTO patterns, codes
        FROM unnest(p_words[1:n]) WITH ORDINALITY AS t(w, i);
    FOR i IN 1 .. n LOOP
        parts := parts || format(
            '(SELECT r.id FROM reservations r WHERE r.tenant_id = $1 AND r.guest_id = ANY (ARRAY('
            'SELECT g.id FROM guests g WHERE g.tenant_id = $1'
            ' AND (g.first_name || '' '' || g.last_name) ILIKE $2[%1$s]))'
            ' UNION SELECT r.id FROM reservations r'
            ' WHERE r.tenant_id = $1 AND r.booking_code_normalised = $3[%1$s]'
            ' UNION SELECT r.id FROM reservations r'
            ' WHERE r.tenant_id = $1 AND upper(r.pms_reservation_id) = $3[%1$s]'
            ' UNION SELECT r.id FROM reservations r'
            ' WHERE r.tenant_id = $1 AND upper(r.room_number) = $3[%1$s])',
            i);
    END LOOP;
    RETURN QUERY EXECUTE array_to_string(parts, ' INTERSECT ') || ' LIMIT $4'
        USING tenant, patterns, codes, p_limit;
END
$fn$;
"""

INDEXES_SQL = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX guests_name_trgm_idx ON guests
    USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX guests_email_trgm_idx ON guests USING gin (email gin_trgm_ops);
CREATE INDEX guests_phone_trgm_idx ON guests USING gin (phone_e164 gin_trgm_ops);
CREATE INDEX reservations_pms_id_upper_idx ON reservations (tenant_id, upper(pms_reservation_id));
CREATE INDEX reservations_room_upper_idx ON reservations (tenant_id, upper(room_number));
"""

DROP_INDEXES_SQL = """
DROP INDEX IF EXISTS guests_name_trgm_idx;
DROP INDEX IF EXISTS guests_email_trgm_idx;
DROP INDEX IF EXISTS guests_phone_trgm_idx;
DROP INDEX IF EXISTS reservations_pms_id_upper_idx;
DROP INDEX IF EXISTS reservations_room_upper_idx;
"""


def _functions_sql() -> str:
    role = f'"{settings.DB_APP_ROLE}"'  # a validated identifier (config: DB_APP_ROLE)
    grants = "".join(
        f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;\n"
        f"GRANT EXECUTE ON FUNCTION {signature} TO {role};\n"
        for signature in (
            "app_search_guests(text[], text, text, integer)",
            "app_search_reservations(text[], integer)",
        )
    )
    return CONTAINS_PATTERN_SQL + GUESTS_SQL + RESERVATIONS_SQL + grants


DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS app_search_guests(text[], text, text, integer);
DROP FUNCTION IF EXISTS app_search_reservations(text[], integer);
DROP FUNCTION IF EXISTS app_contains_pattern(text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("hotel", "0017_journey_touchpoints_and_feedback_source"),
        ("tenancy", "0009_opt_out_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="booking_code_normalised",
            field=models.GeneratedField(
                db_persist=True,
                expression=Upper(Trim("booking_code")),
                output_field=models.CharField(max_length=32),
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(
                fields=["tenant", "booking_code_normalised"], name="reservations_code_norm_idx"
            ),
        ),
        PostgresOnlySQL(INDEXES_SQL, DROP_INDEXES_SQL),
        PostgresOnlySQL(_functions_sql, DROP_FUNCTIONS_SQL),
    ]
