"""worker_heartbeats: a global table (no hotel, no row-level security). The worker role writes its
own row; the app role only reads (/readyz, the dashboard, /metrics)."""

from django.db import migrations, models

from tenancy import rls
from tenancy.rls import PostgresOnlySQL


def _grants_sql() -> str:
    app_role, worker_role = rls.app_roles()
    return f"""
REVOKE ALL ON worker_heartbeats FROM "{app_role}";
GRANT SELECT ON worker_heartbeats TO "{app_role}";
GRANT SELECT, INSERT, UPDATE, DELETE ON worker_heartbeats TO "{worker_role}";
"""


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0006_claim_on_the_workers_clock"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("worker", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("started_at", models.DateTimeField()),
                ("seen_at", models.DateTimeField()),
            ],
            options={
                "db_table": "worker_heartbeats",
                "indexes": [models.Index(fields=["-seen_at"], name="worker_heartbeats_seen_idx")],
            },
        ),
        # Dropping the table (backwards) drops its grants with it.
        PostgresOnlySQL(_grants_sql, ""),
    ]
