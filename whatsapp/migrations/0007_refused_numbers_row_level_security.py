"""Row-level security for refused_numbers (see tenancy.rls; docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("whatsapp", "0006_refused_numbers"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("refused_numbers", Policy.OPERATIONAL),
    ]
