"""Row-level security for the journey settings (see tenancy.rls; docs/migrations.md): everyone
of the hotel reads them (the worker plans with them), owners write them, like templates' switch."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("messaging", "0009_journey_settings"), ("tenancy", "0002_row_level_security")]

    operations = [EnableTenantRLS("journey_settings", Policy.SETTINGS)]
