"""Rooms for the occupancy rate (tenants.room_count) and each user's screen language."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("tenancy", "0004_tenant_by_public_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="room_count",
            field=models.PositiveIntegerField(
                blank=True, null=True, validators=[django.core.validators.MinValueValidator(1)]
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="ui_language",
            field=models.CharField(
                choices=[("en", "English"), ("id", "Bahasa Indonesia")], default="en", max_length=8
            ),
        ),
        migrations.AddConstraint(
            model_name="tenant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("room_count__isnull", True), ("room_count__gte", 1), _connector="OR"
                ),
                name="tenants_room_count_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("ui_language__in", ["en", "id"])),
                name="users_ui_language_valid",
            ),
        ),
    ]
