"""Gives every existing reservation its own chat token. Runs as the owner role, which reads
every hotel's rows (docs/migrations.md)."""

import secrets

from django.db import migrations

BATCH = 1000


def fill_tokens(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    reservation = apps.get_model("hotel", "Reservation")
    while True:
        batch = list(reservation.objects.filter(chat_token__isnull=True).only("pk")[:BATCH])
        if not batch:
            return
        for row in batch:
            row.chat_token = secrets.token_urlsafe(12)  # as hotel.models.new_chat_token
        reservation.objects.bulk_update(batch, ["chat_token"])


class Migration(migrations.Migration):
    dependencies = [("hotel", "0011_reservation_chat_token_column")]

    # Backwards: nothing to undo here; reversing 0011 drops the column.
    operations = [migrations.RunPython(fill_tokens, migrations.RunPython.noop)]
