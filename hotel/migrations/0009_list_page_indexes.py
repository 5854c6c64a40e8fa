"""Indexes for the orderings of /guests/ and /reservations/ (which query uses each: the comment
beside it in hotel/models.py; measured in bench/dashboard.py, docs/dashboard.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hotel", "0008_feedback_token_lookup"),
        ("tenancy", "0004_tenant_by_public_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="guest",
            index=models.Index(fields=["tenant", "created_at"], name="guests_tenant_joined_idx"),
        ),
        migrations.AddIndex(
            model_name="guest",
            index=models.Index(fields=["tenant", "points"], name="guests_tenant_points_idx"),
        ),
        migrations.AddIndex(
            model_name="guest",
            index=models.Index(
                fields=["tenant", "country_code", "last_name", "first_name"],
                name="guests_tenant_country_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(
                fields=["tenant", "status", "check_out"], name="reservations_status_out_idx"
            ),
        ),
    ]
