"""Row-level security, part 1: helper functions, the app and worker roles, tenancy's tables.

Rollback notes are in docs/migrations.md ("0002_row_level_security").
"""

from django.db import migrations

from tenancy import rls
from tenancy.rls import EnableTenantRLS, Policy, PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        PostgresOnlySQL(rls.HELPER_FUNCTIONS_SQL, rls.DROP_HELPER_FUNCTIONS_SQL),
        PostgresOnlySQL(rls.create_roles_sql, rls.revoke_roles_sql),
        # A hotel sees its own tenants row; only its owner (or the system) changes it.
        EnableTenantRLS("tenants", Policy.SETTINGS, key="id"),
        EnableTenantRLS("tenant_users", Policy.SETTINGS),
        # Before its tenant is known a request may read the user's own membership (middleware).
        PostgresOnlySQL(
            "CREATE POLICY own_membership_read ON tenant_users FOR SELECT "
            "USING (user_id = app_current_user_id());",
            "DROP POLICY IF EXISTS own_membership_read ON tenant_users;",
        ),
        EnableTenantRLS("invitations", Policy.SETTINGS),
        # The worker claims due jobs of every tenant, then acts for one tenant per job
        # (tenancy.db.acting_for_tenant). It may list tenants to schedule their work.
        PostgresOnlySQL(
            lambda: (
                f"CREATE POLICY worker_lists_tenants ON tenants FOR SELECT "
                f'TO "{rls.app_roles()[1]}" USING (true);'
            ),
            "DROP POLICY IF EXISTS worker_lists_tenants ON tenants;",
        ),
    ]
