"""Reservations learn when the guest actually left (departed_at) and when the PMS last changed
them (pms_changed_at).

departed_at is filled for stays already checked out from their recorded check-out transition
(its time is when Innbox learnt of it). A stay first seen already checked out has no such
transition, and stays NULL: its first sighting is not its departure.
"""

from django.db import migrations, models

BACKFILL_SQL = """
UPDATE reservations SET departed_at = (
    SELECT MAX(t.occurred_at) FROM reservation_transitions t
    WHERE t.reservation_id = reservations.id
      AND t.to_status = 'checked-out' AND t.from_status <> ''
)
WHERE status = 'checked-out'
"""


TABLES = ("reservations", "reservation_transitions")


def backfill_departures(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            # Row-level security is forced even on the tables' owner, who runs migrations and
            # acts for no hotel: lifted for this one statement, inside this transaction.
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        cursor.execute(BACKFILL_SQL)
        if postgres:
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("hotel", "0013_reservation_chat_token_required"),
        ("tenancy", "0005_room_count_and_ui_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="departed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="reservation",
            name="pms_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(fields=["tenant", "departed_at"], name="reservations_departed_idx"),
        ),
        # Backwards the columns go, so there is nothing to undo.
        migrations.RunPython(backfill_departures, migrations.RunPython.noop),
    ]
