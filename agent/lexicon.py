"""A small bilingual (English/Indonesian) vocabulary of what hotel guests ask about.

Retrieval maps words of both languages to one concept ("kolam renang" and "pool" are POOL), so an
Indonesian question finds an English entry without translating anything; a concept in the
question that the best entry lacks ("gym" asked, "spa" found) vetoes an answer. Words outside
this list still match themselves within one language.
"""

from __future__ import annotations

from agent.text import normalize

# Concepts that say what a question is about. Phrases of several words are matched first.
TOPICS: dict[str, tuple[str, ...]] = {
    "pool": ("pool", "swimming", "swim", "kolam", "renang", "berenang"),
    "breakfast": ("breakfast", "sarapan", "makan pagi", "brunch"),
    "checkout": ("checkout", "check out", "cek out", "ceck out", "chekout", "keluar hotel"),
    "checkin": ("checkin", "check in", "cek in", "arrival", "kedatangan"),
    "late": ("late", "later", "lambat", "terlambat", "lebih lama", "perpanjang", "extend"),
    "early": ("early", "earlier", "lebih awal", "awal"),
    "airport": ("airport", "bandara", "bandar udara", "ngurah rai", "flight", "penerbangan"),
    "transfer": (
        "shuttle",
        "transfer",
        "pickup",
        "pick up",
        "jemput",
        "antar jemput",
        "penjemputan",
        "transport",
        "transportation",
        "transportasi",
        "taxi",
        "taksi",
        "drop off",
        "antar",
    ),
    "wifi": ("wifi", "wi fi", "internet", "password", "kata sandi", "sandi", "network", "jaringan"),
    "spa": ("spa", "massage", "pijat", "pijit", "urut", "treatment", "perawatan", "sauna", "lulur"),
    "gym": ("gym", "fitness", "fitnes", "workout", "olahraga", "treadmill"),
    "parking": ("parking", "park", "parkir", "car park"),
    "laundry": ("laundry", "binatu", "cuci baju", "mencuci", "setrika", "ironing", "dry cleaning"),
    "restaurant": (
        "restaurant",
        "restoran",
        "rumah makan",
        "dinner",
        "makan malam",
        "lunch",
        "makan siang",
        "dining",
    ),
    "bar": ("bar", "cocktail", "cocktails", "beer", "bir", "alcohol", "alkohol", "wine"),
    "pets": ("pet", "pets", "dog", "dogs", "cat", "cats", "anjing", "kucing", "hewan"),
    "smoking": ("smoke", "smoking", "merokok", "rokok", "vape", "cigarette"),
    "children": ("kids", "kid", "children", "child", "anak", "anak anak", "baby", "bayi"),
    "beach": ("beach", "pantai", "sea", "laut"),
    "luggage": ("luggage", "baggage", "bags", "suitcase", "koper", "bagasi", "tas", "titip"),
    "safe": ("safe", "safety box", "deposit box", "brankas"),
    "money": ("atm", "money changer", "tukar uang", "cash", "tunai", "uang"),
    "doctor": ("doctor", "dokter", "clinic", "klinik", "pharmacy", "apotek", "hospital"),
    "tour": ("tour", "tours", "excursion", "wisata", "trip", "sightseeing", "jalan jalan"),
    "rental": ("rent", "rental", "sewa", "menyewa", "scooter", "motor", "bike", "sepeda"),
    "room_service": ("room service", "layanan kamar", "in room dining"),
    "towel": ("towel", "towels", "handuk"),
    "key": ("key", "keycard", "key card", "kunci", "kartu kamar"),
    "reception": ("reception", "front desk", "resepsionis", "lobby", "lobi"),
    "payment": ("pay", "payment", "card", "credit card", "bayar", "pembayaran", "kartu kredit"),
    "invoice": ("invoice", "receipt", "bill", "tagihan", "kuitansi", "nota"),
}
# Concepts that say little about the topic ("how much", "what time"): they count, but barely.
GENERIC: dict[str, tuple[str, ...]] = {
    "price": (
        "price",
        "cost",
        "costs",
        "fee",
        "charge",
        "how much",
        "harga",
        "biaya",
        "tarif",
        "free",
        "gratis",
    ),
    "hours": ("open", "opens", "close", "closes", "hours", "buka", "tutup", "jam buka"),
}
GENERIC_WEIGHT = 0.25

_STOPWORDS_TEXT = """
    a an the is are am was were be been do does did can could may might will would shall should
    i me my we our you your he she it its they them their this that these those there here
    what when where which who whom how why whats wheres hows
    of in on at to for from by with about as into onto and or but if so not no yes
    have has had get got any some much many more most very too also just only please pls
    hi hello hey thanks thank tell know want like need time day today tomorrow tonight
    hotel room rooms available there s t m ll re ve d
    apa apakah ada adakah yang saya aku kami kita anda kamu bisa bisakah boleh bolehkah tolong
    mohon untuk dengan dan atau ini itu di ke dari pada sampai jam berapa kapan mana dimana
    bagaimana gimana gmn kak pak bu mas mbak ya tidak gak nggak enggak sudah belum akan mau
    ingin minta dong deh sih nih kah lah pun juga lagi hari besok nanti sekarang tanya info
    informasi hotelnya kamarnya kamar terima kasih makasih halo hai selamat pagi siang sore malam
    bring bawa membawa use pakai menggunakan
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_SUFFIXES = ("nya", "kah", "lah", "es", "s")


def _index() -> tuple[dict[tuple[str, ...], str], int]:
    phrases: dict[tuple[str, ...], str] = {}
    for table in (TOPICS, GENERIC):
        for concept, forms in table.items():
            for form in forms:
                phrases[tuple(normalize(form).split())] = concept
    return phrases, max(len(key) for key in phrases)


_PHRASES, _LONGEST = _index()


def _lookup(words: tuple[str, ...]) -> str | None:
    found = _PHRASES.get(words)
    if found or len(words) != 1:
        return found
    word = words[0]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            found = _PHRASES.get((word[: -len(suffix)],))
            if found:
                return found
    return None


def concepts(text: str) -> dict[str, float]:
    """The concepts of a text with their weights: lexicon concepts (1, generic ones less) and
    the remaining content words as themselves ("w:yoga")."""
    words = normalize(text).split()
    found: dict[str, float] = {}
    position = 0
    while position < len(words):
        for size in range(min(_LONGEST, len(words) - position), 0, -1):
            concept = _lookup(tuple(words[position : position + size]))
            if concept:
                found[concept] = GENERIC_WEIGHT if concept in GENERIC else 1.0
                position += size
                break
        else:
            word = words[position]
            if word not in STOPWORDS and not word.isdigit() and len(word) > 2:
                found.setdefault(f"w:{word}", 1.0)
            position += 1
    return found


def is_topic(concept: str) -> bool:
    return concept in TOPICS
