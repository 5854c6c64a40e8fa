"""Row-level security for messaging's tables (see tenancy.rls; rollback notes in docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("message_templates", Policy.OPERATIONAL),
        EnableTenantRLS("message_template_variants", Policy.OPERATIONAL),
        EnableTenantRLS("message_logs", Policy.OPERATIONAL),
    ]
