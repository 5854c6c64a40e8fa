"""Row-level security for the feedback settings (see tenancy.rls; docs/migrations.md): everyone
of the hotel reads them (the guest's form reads them in the hotel's context), owners write."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [
        EnableTenantRLS("feedback_settings", Policy.SETTINGS),
    ]
