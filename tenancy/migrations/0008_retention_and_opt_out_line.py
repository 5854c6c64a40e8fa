"""Per hotel: how many months guests' personal data is kept after their last departure
(tenants.retention_months, 1 to 120, default 24) and whether automated messages end with an
opt-out line (tenants.opt_out_line, on by default)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0007_audit_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="opt_out_line",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="tenant",
            name="retention_months",
            field=models.PositiveSmallIntegerField(
                default=24,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(120),
                ],
            ),
        ),
        migrations.AddConstraint(
            model_name="tenant",
            constraint=models.CheckConstraint(
                condition=models.Q(("retention_months__gte", 1), ("retention_months__lte", 120)),
                name="tenants_retention_months_range",
            ),
        ),
    ]
