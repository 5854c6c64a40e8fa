"""The guest's phone as the PMS sent it, kept when WhatsApp can't use it (pms/sync.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("hotel", "0009_list_page_indexes")]

    operations = [
        migrations.AddField(
            model_name="guest",
            name="phone_raw",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
