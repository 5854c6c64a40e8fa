"""Row-level security for pms's tables (see tenancy.rls; rollback notes in docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("pms", "0002_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("pms_configurations", Policy.SETTINGS),
    ]
