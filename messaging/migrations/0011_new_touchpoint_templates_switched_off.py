"""The new touchpoints' default templates (booking confirmation, mid-stay check, checkout
reminder) for the hotels that exist already, in English and Indonesian, switched OFF: an upgrade
must not start sending messages nobody asked for. Owners switch them on in Settings > Journey or
Templates. A hotel created after this migration gets them switched on (messaging.defaults).
Frozen copies of the texts, so that a later change of the defaults does not change what this
migration did. Runs as the owner role, which reads every hotel's rows (docs/migrations.md)."""

from django.db import migrations

TEMPLATES = {
    "booked": (
        "Booking confirmation",
        {
            "en": "Hi {{guestName}}, thank you for booking {{hotelName}}! We have your "
            "reservation from {{checkInDate}} to {{checkOutDate}}. Save this number: "
            "you can message us here any time before or during your stay.",
            "id": "Halo {{guestName}}, terima kasih telah memesan di {{hotelName}}! Reservasi "
            "Anda dari {{checkInDate}} sampai {{checkOutDate}} sudah kami terima. "
            "Simpan nomor ini: Anda dapat menghubungi kami di sini kapan saja sebelum "
            "maupun selama menginap.",
        },
    ),
    "checkout": (
        "Checkout reminder",
        {
            "en": "Hi {{guestName}}, a reminder that checkout is tomorrow at "
            "{{checkoutTime}}. We hope you have enjoyed your stay at {{hotelName}}! "
            "Need a taxi or help with your luggage? Just reply here.\n"
            "\n"
            "{{lateCheckoutOffer}}",
            "id": "Halo {{guestName}}, sekadar mengingatkan bahwa check-out besok pukul "
            "{{checkoutTime}}. Semoga Anda menikmati masa menginap di {{hotelName}}! "
            "Perlu taksi atau bantuan membawa barang? Cukup balas pesan ini.\n"
            "\n"
            "{{lateCheckoutOffer}}",
        },
    ),
    "mid-stay": (
        "Mid-stay check",
        {
            "en": "Good morning {{guestName}}! How is everything with your stay at "
            "{{hotelName}} so far? If anything isn't quite right, or there's anything "
            "we can do for you, just reply here.",
            "id": "Selamat pagi {{guestName}}! Bagaimana masa menginap Anda di "
            "{{hotelName}} sejauh ini? Jika ada yang kurang berkenan atau ada yang "
            "bisa kami bantu, cukup balas pesan ini.",
        },
    ),
}


def add_switched_off(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    tenant_model = apps.get_model("tenancy", "Tenant")
    template_model = apps.get_model("messaging", "MessageTemplate")
    variant_model = apps.get_model("messaging", "MessageTemplateVariant")
    for tenant in tenant_model.objects.all().only("pk").iterator():
        for trigger, (name, texts) in TEMPLATES.items():
            template, created = template_model.objects.get_or_create(
                tenant=tenant, trigger=trigger, defaults={"name": name, "is_active": False}
            )
            if not created:
                if variant_model.objects.filter(template=template).exists():
                    continue  # staff wrote its texts already: they stay as they left them
                # Opened on Templates but never written: it gets the texts, switched off too.
                template.is_active = False
                template.save(update_fields=["is_active"])
            for language, content in texts.items():
                variant_model.objects.create(
                    tenant=tenant, template=template, language_code=language, content=content
                )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0010_journey_settings_row_level_security")]

    # Backwards: the templates stay (they are the hotel's data once staff may have edited them).
    operations = [migrations.RunPython(add_switched_off, migrations.RunPython.noop)]
