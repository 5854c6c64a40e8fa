"""The claim compares run_at with the worker's clock, the clock that wrote it.

Every run_at is computed in Python (a deferral to 09:00 hotel time, a retry's backoff), and the
worker's lease is renewed from Python too; the claim used PostgreSQL's now(). Two clocks meant a
job deferred "until 09:00" could be claimed early or late by their difference, and tests could not
travel in time on PostgreSQL. The worker now passes its own time (defaulting to now() for callers
that don't)."""

import importlib

from django.db import migrations

from tenancy import rls
from tenancy.rls import PostgresOnlySQL

CLAIM_FUNCTION_SQL = """
DROP FUNCTION IF EXISTS app_claim_due_jobs(text, integer, integer);
CREATE OR REPLACE FUNCTION app_claim_due_jobs(
    p_worker text, p_lease_seconds integer, p_limit integer, p_now timestamptz DEFAULT now()
)
    RETURNS TABLE (job_id bigint, job_tenant_id uuid)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE automation_jobs AS job
        SET status = 'running',
            locked_by = p_worker,
            locked_until = p_now + make_interval(secs => p_lease_seconds),
            updated_at = p_now
        WHERE job.id IN (
            SELECT id FROM automation_jobs
            WHERE (status IN ('queued', 'retrying') AND run_at <= p_now)
               OR (status = 'running' AND locked_until < p_now)
            ORDER BY run_at
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        )
        RETURNING job.id, job.tenant_id
    $$;
REVOKE ALL ON FUNCTION app_claim_due_jobs(text, integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_claim_due_jobs(text, integer, integer, timestamptz)
    TO "{worker_role}";
"""

ROLLBACK_SQL = """
DROP FUNCTION IF EXISTS app_claim_due_jobs(text, integer, integer, timestamptz);
"""


def _claim_sql() -> str:
    return CLAIM_FUNCTION_SQL.replace("{worker_role}", rls.app_roles()[1])


def _rollback_sql() -> str:
    """Back to 0004's three-argument claim on PostgreSQL's clock."""
    previous = importlib.import_module("automation.migrations.0004_row_level_security")
    return ROLLBACK_SQL + previous.CLAIM_FUNCTION_SQL.replace("{worker_role}", rls.app_roles()[1])


class Migration(migrations.Migration):
    dependencies = [("automation", "0005_scheduled_tenants")]

    operations = [PostgresOnlySQL(_claim_sql, _rollback_sql)]
