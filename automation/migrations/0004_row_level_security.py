"""Row-level security for automation's tables (see tenancy.rls; rollback notes in docs/migrations.md)."""

from django.db import migrations

from tenancy import rls
from tenancy.rls import EnableTenantRLS, Policy, PostgresOnlySQL

# Claim under a short lock and return at once; the I/O happens outside this transaction.
# At-least-once: a worker that dies loses its lease and the job is claimed again, which is why
# every job carries an idempotency key.
CLAIM_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION app_claim_due_jobs(p_worker text, p_lease_seconds integer, p_limit integer)
    RETURNS TABLE (job_id bigint, job_tenant_id uuid)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE automation_jobs AS job
        SET status = 'running',
            locked_by = p_worker,
            locked_until = now() + make_interval(secs => p_lease_seconds),
            updated_at = now()
        WHERE job.id IN (
            SELECT id FROM automation_jobs
            WHERE (status IN ('queued', 'retrying') AND run_at <= now())
               OR (status = 'running' AND locked_until < now())
            ORDER BY run_at
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        )
        RETURNING job.id, job.tenant_id
    $$;
REVOKE ALL ON FUNCTION app_claim_due_jobs(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_claim_due_jobs(text, integer, integer) TO "{worker_role}";
"""


class Migration(migrations.Migration):
    dependencies = [("automation", "0003_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("inbound_events", Policy.OPERATIONAL),
        EnableTenantRLS("automation_jobs", Policy.OPERATIONAL),
        # Workers claim due jobs of every tenant through this one function, which answers only
        # (job id, tenant id); they then do each job's work inside
        # acting_for_tenant(job_tenant_id), where the tenant policy applies. No policy opens
        # automation_jobs across tenants: a permissive one would be OR-ed into every query.
        PostgresOnlySQL(
            lambda: CLAIM_FUNCTION_SQL.replace("{worker_role}", rls.app_roles()[1]),
            "DROP FUNCTION IF EXISTS app_claim_due_jobs(text, integer, integer);",
        ),
    ]
