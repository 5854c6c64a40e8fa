"""The templates a new hotel starts with, in English and Indonesian. Short, warm, personal:
WhatsApp's own advice for numbers that don't want to be reported as spam."""

from __future__ import annotations

from messaging.models import MessageTemplate, MessageTemplateVariant, Trigger
from tenancy.models import Tenant

DEFAULT_TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    Trigger.BOOKED: (
        "Booking confirmation",
        {
            "en": (
                "Hi {{guestName}}, thank you for booking {{hotelName}}! We have your reservation "
                "from {{checkInDate}} to {{checkOutDate}}. Save this number: you can message us "
                "here any time before or during your stay."
            ),
            "id": (
                "Halo {{guestName}}, terima kasih telah memesan di {{hotelName}}! Reservasi Anda "
                "dari {{checkInDate}} sampai {{checkOutDate}} sudah kami terima. Simpan nomor ini: "
                "Anda dapat menghubungi kami di sini kapan saja sebelum maupun selama menginap."
            ),
        },
    ),
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
    # The guest's answer is a conversation turn: the concierge replies to it.
    Trigger.MID_STAY: (
        "Mid-stay check",
        {
            "en": (
                "Good morning {{guestName}}! How is everything with your stay at {{hotelName}} so "
                "far? If anything isn't quite right, or there's anything we can do for you, just "
                "reply here."
            ),
            "id": (
                "Selamat pagi {{guestName}}! Bagaimana masa menginap Anda di {{hotelName}} sejauh "
                "ini? Jika ada yang kurang berkenan atau ada yang bisa kami bantu, cukup balas "
                "pesan ini."
            ),
        },
    ),
    # The late-checkout offer is the hotel's own sentence (journey settings), last: without one
    # the message simply ends before it.
    Trigger.CHECKOUT: (
        "Checkout reminder",
        {
            "en": (
                "Hi {{guestName}}, a reminder that checkout is tomorrow at {{checkoutTime}}. We "
                "hope you have enjoyed your stay at {{hotelName}}! Need a taxi or help with your "
                "luggage? Just reply here.\n\n{{lateCheckoutOffer}}"
            ),
            "id": (
                "Halo {{guestName}}, sekadar mengingatkan bahwa check-out besok pukul "
                "{{checkoutTime}}. Semoga Anda menikmati masa menginap di {{hotelName}}! Perlu "
                "taksi atau bantuan membawa barang? Cukup balas pesan ini.\n\n{{lateCheckoutOffer}}"
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
    for trigger in DEFAULT_TEMPLATES:
        seed_template(tenant, trigger)


def seed_template(tenant: Tenant, trigger: str, *, active: bool = True) -> MessageTemplate:
    """The default template of `trigger` and its texts, where the hotel lacks them."""
    name, variants = DEFAULT_TEMPLATES[trigger]
    template, _ = MessageTemplate.objects.get_or_create(
        tenant=tenant, trigger=trigger, defaults={"name": name, "is_active": active}
    )
    for language, content in variants.items():
        MessageTemplateVariant.objects.get_or_create(
            template=template,
            language_code=language,
            defaults={"tenant": tenant, "content": content},
        )
    return template
