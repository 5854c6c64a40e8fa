"""Each change of a guest's consent or opt-out, with its source (consent_events), and when a
guest's personal data was anonymised (guests.anonymised_at)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hotel", "0014_actual_departure_and_pms_change_time"),
        ("messaging", "0006_message_status_without_dead"),
        ("tenancy", "0008_retention_and_opt_out_line"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="guest",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="ConsentEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("occurred_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "change",
                    models.CharField(
                        choices=[
                            ("consent-given", "Consent given"),
                            ("opted-out", "Opted out"),
                            ("opted-in", "Opted back in"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("pms", "PMS field"),
                            ("chat-token", "Stay's WhatsApp link"),
                            ("staff", "Staff entry"),
                            ("guest-message", "The guest's own words"),
                        ],
                        max_length=16,
                    ),
                ),
                ("text_shown", models.TextField(blank=True)),
                ("note", models.TextField(blank=True)),
                (
                    "guest",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consent_events",
                        to="hotel.guest",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="messaging.messagelog",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
            ],
            options={
                "db_table": "consent_events",
                "indexes": [
                    models.Index(fields=["guest", "-occurred_at"], name="consent_events_guest_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("change__in", ["consent-given", "opted-out", "opted-in"])
                        ),
                        name="consent_events_change_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("source__in", ["pms", "chat-token", "staff", "guest-message"])
                        ),
                        name="consent_events_source_valid",
                    ),
                ],
            },
        ),
    ]
