"""The demo hotel's room-service menu (in IDR) and knowledge base, so `make run` shows the
concept working without any LLM. Also the evaluation's hotel (bench/agent_eval.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from agent import retrieval
from agent.models import KnowledgeEntry, MenuCategory, MenuItem
from tenancy.models import Tenant

T = dt.time
# name, aliases, price (IDR), category, (from, until) or None for all day
MENU: list[tuple[str, str, int, str, tuple[dt.time, dt.time] | None]] = [
    ("Nasi Goreng", "fried rice, nasgor, nasi goreng spesial", 65000, MenuCategory.FOOD, None),
    ("Mie Goreng", "fried noodles, mi goreng, bakmi goreng", 60000, MenuCategory.FOOD, None),
    ("Sate Ayam", "chicken satay, satay, sate", 70000, MenuCategory.FOOD, (T(11), T(22))),
    ("Club Sandwich", "sandwich, sandwich club", 85000, MenuCategory.FOOD, None),
    ("Beef Burger", "burger, hamburger, burger sapi", 95000, MenuCategory.FOOD, (T(11), T(23))),
    ("Caesar Salad", "salad, selada", 75000, MenuCategory.FOOD, (T(11), T(22))),
    ("Soto Ayam", "chicken soup, soto", 55000, MenuCategory.FOOD, (T(6), T(22))),
    (
        "American Breakfast",
        "breakfast set, english breakfast, sarapan amerika",
        110000,
        MenuCategory.FOOD,
        (T(6), T(11)),
    ),
    ("French Fries", "fries, kentang goreng, chips", 40000, MenuCategory.SNACKS, None),
    (
        "Pisang Goreng",
        "fried banana, banana fritters, goreng pisang",
        35000,
        MenuCategory.DESSERT,
        None,
    ),
    (
        "Es Teh Manis",
        "iced tea, ice tea, es teh, teh manis dingin",
        20000,
        MenuCategory.DRINKS,
        None,
    ),
    ("Hot Tea", "tea, teh, teh panas, teh hangat", 20000, MenuCategory.DRINKS, None),
    ("Kopi Bali", "coffee, kopi, black coffee, kopi hitam", 25000, MenuCategory.DRINKS, None),
    ("Cappuccino", "kapucino, capucino", 35000, MenuCategory.DRINKS, None),
    (
        "Fresh Orange Juice",
        "orange juice, jus jeruk, es jeruk, jeruk",
        35000,
        MenuCategory.DRINKS,
        None,
    ),
    (
        "Mineral Water",
        "water, air mineral, aqua, bottled water, air putih",
        15000,
        MenuCategory.DRINKS,
        None,
    ),
    ("Bintang Beer", "beer, bir, bintang, bir bintang", 45000, MenuCategory.DRINKS, (T(11), T(1))),
]

# topic, English question and answer, Indonesian question and answer
KNOWLEDGE: list[tuple[str, str, str, str, str]] = [
    (
        "pool",
        "What time is the swimming pool open?",
        "The pool is open every day from 7:00 to 21:00. Towels are at the pool bar.",
        "Jam berapa kolam renang buka?",
        "Kolam renang buka setiap hari pukul 07.00–21.00. Handuk tersedia di bar kolam.",
    ),
    (
        "breakfast",
        "When and where is breakfast served?",
        "Breakfast is served from 6:30 to 10:30 at the Kembang restaurant on the ground floor.",
        "Kapan dan di mana sarapan disajikan?",
        "Sarapan disajikan pukul 06.30–10.30 di restoran Kembang, lantai dasar.",
    ),
    (
        "checkout",
        "What time is check-out?",
        "Check-out is at 12:00 noon. You can leave your luggage at reception after check-out.",
        "Jam berapa check-out?",
        "Check-out pukul 12.00 siang. Setelah check-out, bagasi bisa dititipkan di resepsionis.",
    ),
    (
        "late-checkout",
        "Can I have a late check-out?",
        "Late check-out until 15:00 costs IDR 250,000, subject to availability. Please ask the "
        "front desk by 10:00 on your departure day.",
        "Apakah bisa late check-out?",
        "Late check-out sampai pukul 15.00 dikenakan biaya Rp 250.000, tergantung ketersediaan. "
        "Mohon hubungi resepsionis paling lambat pukul 10.00 di hari keberangkatan.",
    ),
    (
        "early-checkin",
        "Can I check in early?",
        "Check-in is from 14:00. Early check-in depends on availability; we are happy to keep "
        "your luggage until your room is ready.",
        "Apakah bisa check-in lebih awal?",
        "Check-in mulai pukul 14.00. Check-in lebih awal tergantung ketersediaan kamar; bagasi "
        "Anda bisa kami simpan sampai kamar siap.",
    ),
    (
        "airport-shuttle",
        "Do you have an airport shuttle?",
        "Yes. The airport transfer to or from Ngurah Rai costs IDR 200,000 per car (up to 4 "
        "people). Please book at least 12 hours ahead.",
        "Apakah ada antar jemput bandara?",
        "Ada. Antar jemput ke atau dari Bandara Ngurah Rai Rp 200.000 per mobil (maksimal 4 "
        "orang). Mohon pesan paling lambat 12 jam sebelumnya.",
    ),
    (
        "wifi",
        "What is the Wi-Fi password?",
        "Connect to the network 'Nusantara-Guest'; the password is selamatdatang.",
        "Apa password Wi-Fi?",
        "Sambungkan ke jaringan 'Nusantara-Guest'; kata sandinya selamatdatang.",
    ),
    (
        "spa",
        "Do you have a spa?",
        "Yes, the Tirta Spa on the 2nd floor is open from 10:00 to 20:00. A 60-minute Balinese "
        "massage costs IDR 350,000.",
        "Apakah ada spa?",
        "Ada, Tirta Spa di lantai 2 buka pukul 10.00–20.00. Pijat Bali 60 menit Rp 350.000.",
    ),
    (
        "parking",
        "Is there parking at the hotel?",
        "Yes, parking is free for guests, in front of the lobby.",
        "Apakah ada parkir di hotel?",
        "Ada, parkir gratis untuk tamu, di depan lobi.",
    ),
    (
        "laundry",
        "Do you have a laundry service?",
        "Yes. Put your clothes in the laundry bag in your wardrobe before 10:00 and they come "
        "back the same evening. Prices are on the list in the bag.",
        "Apakah ada layanan laundry?",
        "Ada. Masukkan pakaian ke kantong laundry di lemari sebelum pukul 10.00, pakaian kembali "
        "sore harinya. Harga tertera di daftar dalam kantong.",
    ),
    (
        "restaurant",
        "What are the restaurant's opening hours?",
        "The Kembang restaurant serves lunch from 11:00 to 15:00 and dinner from 18:00 to 22:00.",
        "Jam berapa restoran buka?",
        "Restoran Kembang buka untuk makan siang pukul 11.00–15.00 dan makan malam pukul "
        "18.00–22.00.",
    ),
    (
        "luggage",
        "Can I store my luggage?",
        "Yes, reception keeps your luggage for free before check-in and after check-out.",
        "Apakah bisa titip koper?",
        "Bisa, resepsionis menyimpan bagasi Anda gratis sebelum check-in dan setelah check-out.",
    ),
    (
        "pets",
        "Are pets allowed?",
        "We are sorry, pets are not allowed in the hotel, except assistance dogs.",
        "Apakah boleh membawa hewan peliharaan?",
        "Mohon maaf, hewan peliharaan tidak diperbolehkan di hotel, kecuali anjing pemandu.",
    ),
    (
        "smoking",
        "Can I smoke in my room?",
        "All rooms are non-smoking. You may smoke in the garden area next to the pool bar.",
        "Apakah boleh merokok di kamar?",
        "Semua kamar bebas rokok. Anda bisa merokok di area taman di samping bar kolam.",
    ),
]


def seed_menu_and_knowledge(tenant: Tenant) -> None:
    """Idempotent: adds what is missing, changes nothing the hotel edited. The caller acts for
    the tenant (settings tables: owner or system)."""
    if not MenuItem.objects.filter(tenant=tenant).exists():
        for name, aliases, price, category, hours in MENU:
            MenuItem.objects.create(
                tenant=tenant,
                name=name,
                aliases=aliases,
                price=Decimal(price),
                category=category,
                available_from=hours[0] if hours else None,
                available_until=hours[1] if hours else None,
            )
    if not KnowledgeEntry.objects.filter(tenant=tenant).exists():
        entries = [
            KnowledgeEntry(tenant=tenant, topic=topic, language=language, question=q, answer=a)
            for topic, q_en, a_en, q_id, a_id in KNOWLEDGE
            for language, q, a in (("en", q_en, a_en), ("id", q_id, a_id))
        ]
        retrieval.embed_entries(entries)
        KnowledgeEntry.objects.bulk_create(entries)
