"""Guests who opted out before the transport kept its own list: their numbers refuse messages
there too (whatsapp.RefusedNumber). Reversible: the rows go again."""

from django.db import migrations


def refuse_opted_out_numbers(apps, schema_editor) -> None:
    Guest = apps.get_model("hotel", "Guest")
    RefusedNumber = apps.get_model("whatsapp", "RefusedNumber")
    opted_out = Guest.objects.filter(opted_out_at__isnull=False).exclude(phone_e164="")
    RefusedNumber.objects.bulk_create(
        [
            RefusedNumber(
                tenant_id=guest.tenant_id, phone_e164=guest.phone_e164, reason="opted out earlier"
            )
            for guest in opted_out.only("tenant_id", "phone_e164")
        ],
        ignore_conflicts=True,
    )


def forget(apps, schema_editor) -> None:
    apps.get_model("whatsapp", "RefusedNumber").objects.filter(reason="opted out earlier").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0002_row_level_security"),
        ("whatsapp", "0007_refused_numbers_row_level_security"),
        ("hotel", "0014_actual_departure_and_pms_change_time"),
    ]

    operations = [migrations.RunPython(refuse_opted_out_numbers, forget)]
