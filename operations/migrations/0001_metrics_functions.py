"""What /metrics reads, counted across every hotel, as the app role.

The web (app role) answers the scrape, and row-level security hides every hotel's rows until a
hotel is set. These SECURITY DEFINER functions answer counts and states only (no guest, no
message text), to the app role only; operations.snapshot calls them."""

from django.db import migrations

from tenancy import rls
from tenancy.rls import PostgresOnlySQL

FUNCTIONS = {
    "app_metrics_hotels()": """
    RETURNS TABLE (hotel_id uuid, hotel_public_id uuid, hotel_name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id, public_id, name::text FROM tenants $$""",
    "app_metrics_jobs(timestamptz)": """
    RETURNS TABLE (
        job_tenant_id uuid, job_kind text, job_status text,
        jobs bigint, due_jobs bigint, oldest_due timestamptz
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT tenant_id, kind::text, status::text,
               count(*), count(*) FILTER (WHERE run_at <= $1), min(run_at) FILTER (WHERE run_at <= $1)
        FROM automation_jobs
        WHERE status IN ('queued', 'retrying', 'running', 'failed', 'dead')
        GROUP BY tenant_id, kind, status
    $$""",
    "app_metrics_messages()": """
    RETURNS TABLE (message_tenant_id uuid, message_direction text, message_status text, messages bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT tenant_id, direction::text, status::text, count(*)
        FROM message_logs GROUP BY tenant_id, direction, status
    $$""",
    "app_metrics_whatsapp()": """
    RETURNS TABLE (session_tenant_id uuid, session_status text, send_failures integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT tenant_id, status::text, consecutive_send_failures FROM waha_configurations $$""",
    "app_metrics_pms()": """
    RETURNS TABLE (
        pms_tenant_id uuid, pms_pulls boolean, pms_health text, connected_at timestamptz,
        last_success timestamptz, failures_since_success bigint
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
        SELECT config.tenant_id, config.is_active, config.health::text, config.created_at,
               config.last_success_at,
               (SELECT count(*) FROM pms_sync_runs AS run
                WHERE run.tenant_id = config.tenant_id AND run.status = 'failed'
                  AND run.started_at > coalesce(config.last_success_at, '-infinity'))
        FROM pms_configurations AS config
    $$""",
}


def _create_sql() -> str:
    app_role = rls.app_roles()[0]
    return "\n".join(
        f"""CREATE OR REPLACE FUNCTION {signature} {body};
REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {signature} TO "{app_role}";"""
        for signature, body in FUNCTIONS.items()
    )


def _drop_sql() -> str:
    return "\n".join(f"DROP FUNCTION IF EXISTS {signature};" for signature in FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0005_room_count_and_ui_language"),
        ("automation", "0007_worker_heartbeats"),
        ("messaging", "0005_send_started_at"),
        ("whatsapp", "0005_send_rate_limit"),
        ("pms", "0005_sync_runs_row_level_security"),
    ]

    operations = [PostgresOnlySQL(_create_sql, _drop_sql)]
