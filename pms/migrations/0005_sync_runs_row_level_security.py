"""Row-level security for pms_sync_runs: staff may run "Sync now", so it is operational."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [
        ("pms", "0004_sync_runs_and_transitions"),
        ("tenancy", "0002_row_level_security"),
    ]

    operations = [EnableTenantRLS("pms_sync_runs", Policy.OPERATIONAL)]
