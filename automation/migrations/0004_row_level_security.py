"""Row-level security for automation's tables (see tenancy.rls; rollback notes in docs/migrations.md)."""

from django.db import migrations

from tenancy import rls
from tenancy.rls import EnableTenantRLS, Policy, PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("automation", "0003_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("inbound_events", Policy.OPERATIONAL),
        EnableTenantRLS("automation_jobs", Policy.OPERATIONAL),
        # Workers claim due jobs across tenants (FOR UPDATE SKIP LOCKED), then do each job's
        # work inside acting_for_tenant(job.tenant_id), where the tenant policies apply again.
        PostgresOnlySQL(
            lambda: (
                f"CREATE POLICY worker_claims_jobs ON automation_jobs FOR ALL "
                f'TO "{rls.app_roles()[1]}" USING (true) WITH CHECK (true);'
            ),
            "DROP POLICY IF EXISTS worker_claims_jobs ON automation_jobs;",
        ),
    ]
