"""Row-level security for the conversations tables (see tenancy.rls; docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("conversations", Policy.OPERATIONAL),
        EnableTenantRLS("conversation_notes", Policy.OPERATIONAL),
        EnableTenantRLS("saved_replies", Policy.OPERATIONAL),
    ]
