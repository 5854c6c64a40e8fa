"""The templates a new hotel starts with, in English and Indonesian. Short, warm, personal:
WhatsApp's own advice for numbers that don't want to be reported as spam."""

from __future__ import annotations

from messaging.models import MessageTemplate, MessageTemplateVariant, Trigger
from tenancy.models import Tenant

DEFAULT_TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    Trigger.PRE_ARRIVAL: (
        "Before arrival",
        {
            "en": (
                "Hi {{guestName}}! We're looking forward to welcoming you at {{hotelName}} on "
                "{{checkInDate}}. If you'd like an early check-in, airport pickup or anything else "
                "for your stay, just reply here. See you soon!"
            ),
            "id": (
                "Halo {{guestName}}! Kami menantikan kedatangan Anda di {{hotelName}} pada "
                "{{checkInDate}}. Jika Anda ingin check-in lebih awal, penjemputan bandara, atau "
                "hal lain untuk masa menginap Anda, cukup balas pesan ini. Sampai jumpa!"
            ),
        },
    ),
    Trigger.ON_STAY: (
        "Welcome during the stay",
        {
            "en": (
                "Welcome to {{hotelName}}, {{guestName}}! You're in room {{roomNumber}}. "
                "Message us here any time for room service, fresh towels or local tips. "
                "Enjoy your stay!"
            ),
            "id": (
                "Selamat datang di {{hotelName}}, {{guestName}}! Kamar Anda {{roomNumber}}. "
                "Hubungi kami di sini kapan saja untuk layanan kamar, handuk bersih, atau "
                "rekomendasi tempat di sekitar. Selamat menikmati masa menginap Anda!"
            ),
        },
    ),
    Trigger.POST_STAY: (
        "After checkout",
        {
            "en": (
                "Thank you for staying with us, {{guestName}}! We'd love to hear how it went. "
                "It takes a minute: {{feedbackLink}}"
            ),
            "id": (
                "Terima kasih telah menginap bersama kami, {{guestName}}! Kami ingin mendengar "
                "pengalaman Anda. Hanya butuh satu menit: {{feedbackLink}}"
            ),
        },
    ),
}


def seed_default_templates(tenant: Tenant) -> None:
    """Give a hotel the default templates it lacks; never overwrite what staff wrote."""
    for trigger, (name, variants) in DEFAULT_TEMPLATES.items():
        template, _ = MessageTemplate.objects.get_or_create(
            tenant=tenant, trigger=trigger, defaults={"name": name}
        )
        for language, content in variants.items():
            MessageTemplateVariant.objects.get_or_create(
                template=template,
                language_code=language,
                defaults={"tenant": tenant, "content": content},
            )
