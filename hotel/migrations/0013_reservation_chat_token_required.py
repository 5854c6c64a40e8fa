from django.db import migrations, models

import hotel.models


class Migration(migrations.Migration):
    dependencies = [("hotel", "0012_reservation_chat_token_backfill")]

    operations = [
        migrations.AlterField(
            model_name="reservation",
            name="chat_token",
            field=models.CharField(default=hotel.models.new_chat_token, max_length=16, unique=True),
        ),
    ]
