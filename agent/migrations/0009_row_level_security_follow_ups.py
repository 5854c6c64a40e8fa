"""Row-level security for the concierge's feedback follow-ups (see tenancy.rls): operational,
written by the worker for the stay's hotel."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("agent", "0008_feedback_follow_ups")]

    operations = [EnableTenantRLS("agent_feedback_follow_ups", Policy.OPERATIONAL)]
