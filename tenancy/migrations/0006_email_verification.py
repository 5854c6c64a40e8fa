"""Signup email verification: users.email_verified_at and the sends the resend limit counts.

Every account that exists before this migration counts as verified (since it joined): the check
is for new signups (tenancy.verification).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def existing_accounts_are_verified(apps, schema_editor):  # type: ignore[no-untyped-def]
    user = apps.get_model("tenancy", "User")
    user.objects.filter(email_verified_at__isnull=True).update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0005_room_count_and_ui_language")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(existing_accounts_are_verified, migrations.RunPython.noop),
        migrations.CreateModel(
            name="VerificationEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "email_verification_sends",
                "indexes": [
                    models.Index(fields=["user", "-sent_at"], name="verification_sends_recent_idx")
                ],
            },
        ),
    ]
