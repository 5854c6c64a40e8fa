"""Row-level security for reservation_transitions (see tenancy.rls; notes in docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [
        ("hotel", "0005_sync_runs_and_transitions"),
        ("tenancy", "0002_row_level_security"),
    ]

    operations = [EnableTenantRLS("reservation_transitions", Policy.OPERATIONAL)]
