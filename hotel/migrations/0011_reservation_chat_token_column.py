"""A per-stay chat token, added empty first: 0012 fills it, 0013 makes it required and unique
(a unique column cannot be added with one default for every existing row)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("hotel", "0010_guest_phone_as_received")]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="chat_token",
            field=models.CharField(max_length=16, null=True),
        ),
    ]
