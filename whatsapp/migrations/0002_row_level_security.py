"""Row-level security for whatsapp's tables (see tenancy.rls; rollback notes in docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("whatsapp", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("waha_configurations", Policy.SETTINGS),
    ]
