"""Row-level security for agent's tables (see tenancy.rls; rollback notes in docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("agent", "0003_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("room_service_orders", Policy.OPERATIONAL),
        EnableTenantRLS("housekeeping_requests", Policy.OPERATIONAL),
    ]
