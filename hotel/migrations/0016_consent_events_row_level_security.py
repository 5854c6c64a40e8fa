"""Row-level security for consent_events (see tenancy.rls; notes in docs/migrations.md)."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [
        ("hotel", "0015_consent_events_and_anonymised_guests"),
        ("tenancy", "0002_row_level_security"),
    ]

    operations = [EnableTenantRLS("consent_events", Policy.OPERATIONAL)]
