"""The boards (issue 15): an order's total as agreed with the guest, "New" for a received order,
and each hotel's board settings (owners write them: row-level security of the settings kind)."""

import django.db.models.deletion
from django.db import migrations, models

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [
        ("agent", "0004_row_level_security"),
        ("hotel", "0014_actual_departure_and_pms_change_time"),
        ("tenancy", "0005_room_count_and_ui_language"),
    ]

    operations = [
        migrations.CreateModel(
            name="BoardSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("notify_guests", models.BooleanField(default=True)),
            ],
            options={
                "db_table": "board_settings",
            },
        ),
        migrations.AddField(
            model_name="roomserviceorder",
            name="currency",
            field=models.CharField(blank=True, max_length=3),
        ),
        migrations.AddField(
            model_name="roomserviceorder",
            name="total",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True),
        ),
        migrations.AlterField(
            model_name="roomserviceorder",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "New"),
                    ("confirmed", "Confirmed"),
                    ("preparing", "Preparing"),
                    ("delivered", "Delivered"),
                    ("cancelled", "Cancelled"),
                ],
                default="received",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="roomserviceorder",
            constraint=models.CheckConstraint(
                condition=models.Q(("total__isnull", True), ("total__gte", 0), _connector="OR"),
                name="room_service_orders_total_not_negative",
            ),
        ),
        migrations.AddField(
            model_name="boardsettings",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenancy.tenant"
            ),
        ),
        migrations.AddConstraint(
            model_name="boardsettings",
            constraint=models.UniqueConstraint(
                fields=("tenant",), name="board_settings_one_per_tenant"
            ),
        ),
        EnableTenantRLS("board_settings", Policy.SETTINGS),
    ]
