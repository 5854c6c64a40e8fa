"""The embedded engine's vocabulary, English and Indonesian, in one place to read and extend.

Words are compared after agent.text.normalize (lower case, no punctuation); phrases are
space-separated words. Emoji are looked for in the raw text.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(*phrases: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(phrase.split()) for phrase in phrases)


# --- languages ---------------------------------------------------------------------------------
ENGLISH = _words(
    """the is are i you my me please can could would what when where how do does have want
    need like some and to of for with thanks thank hello hi yes no it this there any bring get
    order more extra not working broken clean towel towels room time much open close today
    tomorrow morning tonight we our your be am was an a will just also send someone help"""
)
INDONESIAN = _words(
    """saya aku kami kamar mau ingin minta tolong bisa apa apakah jam berapa dan yang di ke ada
    tidak gak nggak enggak ga sudah belum pesan terima kasih makasih mohon dong ya kak pak bu mas
    mbak handuk bersihkan rusak dingin porsi satu dua tiga empat lima buat untuk dengan sama lagi
    juga selamat pagi malam siang sore halo kapan dimana bagaimana gimana kolam sarapan buka tutup
    antar kirim bawakan nya itu ini bisakah boleh apakah tanya mati bocor sekarang segera banget
    nanti besok hari"""
)
# A few frequent words of languages guests also write in: enough to tell "not en/id".
OTHER_LANGUAGES = _words(
    """je vous nous est une des pour avec merci bonjour chambre voudrais serviettes sil plait
    ich sie das die der ist und nicht bitte danke zimmer haben mochte ein eine handtucher wann wo
    el los las una por favor gracias hola habitacion quiero toallas cuando donde para
    ik het een niet graag alsjeblieft kamer wil bedankt hoe laat
    il sono grazie camera vorrei asciugamani quando
    eu obrigado obrigada quarto voce nao toalhas
    watashi arigatou onegaishimasu"""
)

# --- confirmation of a drafted order (code, not a model, decides) ----------------------------------
CONFIRM = _words(
    """yes yeah yep yup ya iya iyah y ok okay oke okey okee okeh sip siap confirm confirmed
    konfirmasi betul benar boleh lanjut lanjutkan sure correct setuju jadi gas proceed"""
)
CONFIRM_EMOJI = ("👍", "👌", "✅", "🆗")
REFUSE = _words("""no nope nah gak ga nggak enggak tidak tdk batal batalkan cancel jangan""")
REFUSE_EMOJI = ("👎", "❌", "🚫")
# Words that may stand around a yes or a no without changing it.
POLITE = _words(
    """please pls thanks thank you terima kasih makasih tq thx ty pak bu kak mas mbak dong aja
    saja sir madam it that is right go ahead mantap good great perfect fine the order pesanan
    pesan nya deh lah yes ya do mind never jadi sudah its thats"""
)

# --- escalation -------------------------------------------------------------------------------------
INJECTION = _phrases(
    "ignore your instructions",
    "ignore all instructions",
    "ignore previous instructions",
    "ignore the instructions",
    "ignore all previous",
    "ignore your rules",
    "ignore the rules",
    "ignore all rules",
    "ignore your previous",
    "disregard",
    "forget your instructions",
    "forget all instructions",
    "forget your rules",
    "abaikan instruksi",
    "abaikan semua",
    "abaikan perintah",
    "abaikan aturan",
    "lupakan instruksi",
    "lupakan semua instruksi",
    "system prompt",
    "prompt sistem",
    "your prompt",
    "you are now",
    "act as",
    "pretend",
    "developer mode",
    "jailbreak",
    "as admin",
    "as an admin",
    "as the admin",
    "as administrator",
    "sebagai admin",
    "mode admin",
    "admin mode",
    "all guests",
    "every guest",
    "other guests",
    "guest list",
    "list of guests",
    "list guests",
    "semua tamu",
    "daftar tamu",
    "tamu lain",
    "data tamu",
    "all orders",
    "every order",
    "all the orders",
    "semua pesanan",
    "seluruh pesanan",
    "all reservations",
    "semua reservasi",
    "other rooms",
    "kamar lain",
    "who is staying",
    "siapa yang menginap",
    "database",
    "sql",
    "api key",
    "delete all",
    "hapus semua",
    "phone numbers",
    "nomor telepon tamu",
    "override",
    "sudo",
)
ASKS_FOR_PERSON = _phrases(
    "talk to a person",
    "talk to someone",
    "talk to somebody",
    "talk to a human",
    "talk to staff",
    "talk to the staff",
    "talk to a staff",
    "talk to the manager",
    "talk to a manager",
    "talk to reception",
    "talk to the reception",
    "talk to a real",
    "speak to a person",
    "speak to someone",
    "speak to somebody",
    "speak to a human",
    "speak to staff",
    "speak to the staff",
    "speak to the manager",
    "speak to a manager",
    "speak to reception",
    "speak with",
    "talk with",
    "real person",
    "a human",
    "human please",
    "call me",
    "phone me",
    "ring me",
    "customer service",
    "bicara dengan",
    "berbicara dengan",
    "ngobrol dengan",
    "hubungi saya",
    "telepon saya",
    "telpon saya",
    "minta staf",
    "minta orang",
    "dengan staf",
    "dengan manusia",
    "dengan orang",
    "dengan resepsionis",
    "dengan manager",
    "dengan manajer",
    "sambungkan",
    "operator",
    "bukan bot",
    "not a bot",
    "are you a bot",
    "kamu bot",
)
COMPLAINT = _phrases(
    "complain",
    "complaint",
    "komplain",
    "keluhan",
    "mengeluh",
    "kecewa",
    "disappointed",
    "disappointing",
    "terrible",
    "awful",
    "horrible",
    "worst",
    "unacceptable",
    "rude",
    "kasar",
    "tidak sopan",
    "not happy",
    "unhappy",
    "angry",
    "marah",
    "refund",
    "uang kembali",
    "dirty",
    "kotor",
    "jorok",
    "smells",
    "smell",
    "stinks",
    "stinky",
    "bau",
    "cockroach",
    "cockroaches",
    "kecoa",
    "bed bugs",
    "bedbugs",
    "kutu",
    "noisy",
    "noise",
    "berisik",
    "bising",
    "ribut",
    "not clean",
    "tidak bersih",
    "nobody came",
    "no one came",
    "still waiting",
    "masih menunggu",
    "belum datang",
    "too long",
    "lama sekali",
    "lama banget",
    "wrong order",
    "pesanan salah",
    "salah pesanan",
    "overcharged",
    "charged twice",
    "hair in",
    "ada rambut",
    "stolen",
    "dicuri",
    "bad service",
    "pelayanan buruk",
    "buruk",
    "jelek",
    "parah",
    "ridiculous",
    "scam",
    "penipuan",
    "sakit perut",
    "food poisoning",
    "keracunan",
)

# --- room service -----------------------------------------------------------------------------------
# Saying these means wanting something to eat or drink, even when nothing on the menu matched.
STRONG_ORDER_CUES = _phrases(
    "order",
    "pesan",
    "pesen",
    "mesen",
    "memesan",
    "room service",
    "layanan kamar",
    "in room dining",
    "to eat",
    "makan",
    "makanan",
    "minum",
    "minuman",
    "something to drink",
    "hungry",
    "lapar",
    "laper",
    "thirsty",
    "haus",
    "food",
    "drink",
    "drinks",
)
# These only mean ordering when a menu item is named ("can I have a late check-out?" is not).
WEAK_ORDER_CUES = _phrases(
    "i d like",
    "id like",
    "i would like",
    "i want",
    "i ll have",
    "ill have",
    "i will have",
    "can i get",
    "can i have",
    "could i get",
    "could i have",
    "may i have",
    "can we get",
    "can we have",
    "could we get",
    "could we have",
    "we d like",
    "we would like",
    "we want",
    "bring",
    "send up",
    "send me",
    "get me",
    "give me",
    "i need",
    "we need",
    "mau",
    "minta",
    "antar",
    "antarkan",
    "anterin",
    "kirim",
    "kirimkan",
    "bawakan",
    "beli",
    "tambah",
    "pengen",
    "pingin",
    "ingin",
    "add",
)
MENU_REQUEST = _phrases(
    "menu",
    "menunya",
    "what can i order",
    "what food",
    "what do you serve",
    "what drinks",
    "apa saja makanannya",
    "makanan apa",
    "minuman apa",
    "daftar makanan",
    "daftar menu",
)
PRICE_QUESTION = _phrases("how much", "price", "harga", "berapa harganya", "berapa")
# Words of an order that are not dishes: never reported as "not on the menu".
ORDER_FILLER = _words(
    """please pls thanks thank you terima kasih makasih to my our the room kamar ke for me us
    ya yes ok oke dong aja saja ya and dan also juga with plus asap now sekarang segera quickly
    cepat nanti later tonight malam ini pagi siang sore up here sini buat untuk nomor number no
    order pesan pesen mau minta tolong i d like would want will have can could get may we bring
    send give need antar antarkan kirim kirimkan bawakan beli tambah pengen ingin add a an one
    food drink drinks makanan minuman makan minum something sesuatu some more extra lagi again
    hungry lapar thirsty haus service room_service layanan dining in eat to i m im also just
    like"""
)
# Ways a dish is asked for: kept as the line's notes.
MODIFIERS = _words(
    """spicy pedas hot panas cold dingin less kurang sugar gula manis no tanpa ice es extra
    large besar small kecil medium well done mild sedang sweet tawar pakai pake sambal without
    separate pisah well"""
)
NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a": 1,
    "an": 1,
    "single": 1,
    "couple": 2,
    "pair": 2,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "sebuah": 1,
    "seporsi": 1,
    "sepiring": 1,
    "segelas": 1,
    "secangkir": 1,
    "sebotol": 1,
    "semangkuk": 1,
    "semangkok": 1,
    "sebungkus": 1,
    "sekaleng": 1,
}
UNITS = _words(
    """porsi piring gelas cangkir botol mangkok mangkuk buah bungkus kaleng pcs pc portion
    portions plate plates glass glasses cup cups bottle bottles bowl bowls serving servings of
    orders cans pieces piece x"""
)

# --- housekeeping --------------------------------------------------------------------------------
TOWELS = _phrases("towel", "towels", "handuk", "anduk", "bath towel", "pool towel")
CLEANING = _phrases(
    "clean my room",
    "clean the room",
    "clean our room",
    "clean room",
    "cleaning",
    "make up my room",
    "make up the room",
    "make up room",
    "tidy",
    "tidy up",
    "housekeeping",
    "bersihkan",
    "dibersihkan",
    "bersih bersih",
    "membersihkan",
    "beresin",
    "rapikan",
    "change the sheets",
    "change sheets",
    "new sheets",
    "ganti sprei",
    "ganti seprai",
    "ganti sprai",
    "vacuum",
    "sapu",
    "buang sampah",
    "take out the trash",
    "empty the trash",
    "empty the bin",
    "come and clean",
    "clean up",
    "cleaned",
)
AMENITIES = _phrases(
    "toiletries",
    "shampoo",
    "sampo",
    "soap",
    "sabun",
    "toothbrush",
    "toothbrushes",
    "sikat gigi",
    "toothpaste",
    "pasta gigi",
    "odol",
    "pillow",
    "pillows",
    "bantal",
    "blanket",
    "blankets",
    "selimut",
    "slippers",
    "sandal",
    "hanger",
    "hangers",
    "gantungan baju",
    "toilet paper",
    "tisu",
    "tissue",
    "tissues",
    "tissu",
    "hair dryer",
    "hairdryer",
    "pengering rambut",
    "adapter",
    "adaptor",
    "charger",
    "extra bed",
    "kasur tambahan",
    "baby cot",
    "crib",
    "iron",
    "setrika",
    "cotton buds",
    "kapas",
    "shower cap",
    "razor",
    "cukuran",
    "conditioner",
    "body lotion",
    "sisir",
    "comb",
    "bathrobe",
    "kimono",
)
FAULTS = _phrases(
    "broken",
    "not working",
    "doesn t work",
    "doesnt work",
    "does not work",
    "isn t working",
    "isnt working",
    "stopped working",
    "won t turn on",
    "wont turn on",
    "not turning on",
    "no power",
    "rusak",
    "mati",
    "tidak berfungsi",
    "ga berfungsi",
    "gak berfungsi",
    "tidak bisa nyala",
    "ga nyala",
    "gak nyala",
    "nggak nyala",
    "tidak nyala",
    "ngga nyala",
    "bocor",
    "leak",
    "leaks",
    "leaking",
    "mampet",
    "tersumbat",
    "clogged",
    "blocked",
    "stuck",
    "macet",
    "not cold",
    "tidak dingin",
    "kurang dingin",
    "ga dingin",
    "gak dingin",
    "nggak dingin",
    "not cooling",
    "no hot water",
    "tidak ada air panas",
    "air panasnya",
    "no water",
    "air tidak keluar",
    "air ga keluar",
    "dripping",
    "netes",
    "flickering",
    "kedip kedip",
    "error",
    "can t open",
    "cant open",
    "tidak bisa dibuka",
    "ga bisa dibuka",
    "not draining",
    "tidak panas",
    "ga panas",
    "gak panas",
)
FIXTURES = _words(
    """ac aircon air conditioner conditioning tv television televisi shower toilet wc kloset
    lamp lamps light lights lampu door pintu lock kunci keycard card kartu fridge kulkas minibar
    wifi internet sink wastafel water air heater pemanas fan kipas remote socket stopkontak
    colokan window jendela curtain gorden tirai dryer safe brankas kettle flush bathtub tub drain
    saluran shower"""
)

# --- questions and small talk --------------------------------------------------------------------
QUESTION_STARTS = _words(
    """what when where how why which who is are do does can could may will would should whats
    apa apakah kapan dimana mana bagaimana gimana berapa adakah bisakah bolehkah siapa kenapa
    mengapa"""
)
GREETINGS = _words(
    """hi hello hey halo hallo hai morning evening afternoon selamat pagi siang sore malam good
    assalamualaikum permisi"""
)
THANKS = _words(
    """thanks thank thx ty tq makasih terimakasih terima kasih nuhun suwun great nice awesome
    perfect mantap sip ok oke okay cool"""
)
SMALL_TALK_FILLER = _words(
    """you so much very a lot banyak ya kak pak bu mas mbak everyone all guys semua the team tim
    have nice day there again lagi dong deh sir madam"""
)

# --- the guest journey: replies to the mid-stay check and to the post-stay follow-up -----------
# A reply to "How is everything?" that reports something wrong (beside COMPLAINT, FAULTS with a
# FIXTURES word and any housekeeping need): staff must put it right before checkout.
MID_STAY_PROBLEMS = _phrases(
    "smoke",
    "smoky",
    "asap",
    "rokok",
    "loud",
    "keras",
    "could not sleep",
    "couldn t sleep",
    "couldnt sleep",
    "can t sleep",
    "cant sleep",
    "tidak bisa tidur",
    "gak bisa tidur",
    "ga bisa tidur",
    "susah tidur",
    "uncomfortable",
    "tidak nyaman",
    "gak nyaman",
    "kurang nyaman",
    "not good",
    "not great",
    "not so good",
    "not ok",
    "not okay",
    "tidak bagus",
    "kurang bagus",
    "kurang baik",
    "tidak baik",
    "kurang bersih",
    "problem",
    "problems",
    "issue",
    "issues",
    "masalah",
    "bermasalah",
    "too hot",
    "too cold",
    "terlalu panas",
    "terlalu dingin",
    "panas sekali",
    "panas banget",
    "gerah",
    "mold",
    "mould",
    "jamur",
    "stain",
    "stains",
    "noda",
    "leak",
    "leaking",
    "bocor",
    "bugs",
    "ants",
    "semut",
    "nyamuk",
    "mosquito",
    "mosquitoes",
    "slow",
    "lambat",
    "lemot",
    "cold water",
    "air dingin",
    "no hot water",
    "tidak ada air panas",
)
# Said of a problem that is not there ("no problems", "tidak ada masalah"): removed before the
# reply is searched for problems.
NO_PROBLEM = _phrases(
    "no problem",
    "no problems",
    "no issue",
    "no issues",
    "no complaints",
    "no complaint",
    "nothing wrong",
    "not bad",
    "tidak ada masalah",
    "gak ada masalah",
    "ga ada masalah",
    "nggak ada masalah",
    "tidak ada keluhan",
    "gak ada keluhan",
    "ga ada keluhan",
    "tanpa masalah",
    "aman",
)
# Words of a happy reply to the mid-stay check.
PRAISE = _words(
    """great good fine perfect excellent wonderful lovely amazing awesome fantastic nice
    comfortable comfy clean beautiful superb brilliant outstanding enjoying enjoy enjoyed love
    loving happy well bagus baik mantap mantul enak nyaman puas senang keren oke ok okay sip
    memuaskan menyenangkan bersih indah luar biasa top cakep asyik asik sempurna aman"""
)
PRAISE_EMOJI = ("👍", "😊", "😀", "😃", "😄", "🙂", "❤", "🥰", "😍", "👌", "🙏", "💯", "⭐")
# Words that may stand around praise without changing it.
PRAISE_FILLER = _words(
    """everything everythings all is it s its was were are so very really super quite just
    pretty room stay hotel staff the our my we i am im we re so far thus everyone team here
    and too also semuanya semua nya sangat sekali banget sih kok deh kamar nya nginap menginap
    pelayanan staf hotelnya kamarnya nih ini sejauh ini sampai sekarang kak pak bu mas mbak
    thank thanks you kasih terima makasih no problem problems complaints masalah tidak ada
    keluhan nothing wrong not bad gak ga for asking menanyakan sudah udah lah"""
)
# In an answer to the follow-up, things only a person can settle (a lost item, a bill).
STAFF_MATTERS = _phrases(
    "left my",
    "left behind",
    "forgot my",
    "forgotten",
    "lost my",
    "lost and found",
    "ketinggalan",
    "tertinggal",
    "lupa bawa",
    "barang saya",
    "refund",
    "invoice",
    "receipt",
    "bill",
    "charged",
    "charge",
    "tagihan",
    "kwitansi",
    "struk",
    "deposit",
    "uang kembali",
)

# --- ratings in a guest's words (the follow-up's answer) -----------------------------------------
# Words that say a rating plainly, longest phrases first; a message with words of two ratings,
# or with a "but", says none plainly.
RATING_PHRASES: dict[int, tuple[tuple[str, ...], ...]] = {
    5: _phrases(
        "excellent",
        "perfect",
        "outstanding",
        "amazing",
        "fantastic",
        "wonderful",
        "superb",
        "the best",
        "luar biasa",
        "sempurna",
        "sangat bagus",
        "bagus sekali",
        "bagus banget",
        "sangat memuaskan",
        "sangat puas",
        "terbaik",
    ),
    4: _phrases(
        "very good",
        "really good",
        "great",
        "lovely",
        "good",
        "nice",
        "enjoyed",
        "bagus",
        "baik",
        "puas",
        "memuaskan",
        "menyenangkan",
        "nyaman",
        "senang",
    ),
    3: _phrases(
        "okay",
        "ok",
        "fine",
        "average",
        "not bad",
        "so so",
        "alright",
        "lumayan",
        "biasa saja",
        "biasa aja",
        "cukup",
        "standar",
        "oke",
    ),
    2: _phrases(
        "not good",
        "not great",
        "poor",
        "bad",
        "disappointing",
        "disappointed",
        "tidak bagus",
        "kurang bagus",
        "kurang",
        "buruk",
        "kecewa",
        "mengecewakan",
        "jelek",
    ),
    1: _phrases(
        "terrible",
        "awful",
        "horrible",
        "the worst",
        "worst",
        "very bad",
        "sangat buruk",
        "buruk sekali",
        "sangat jelek",
        "jelek banget",
        "parah",
        "sangat kecewa",
    ),
}
# "Great, but...": the words alone do not settle the rating; a number must.
CONTRAST = _words(
    """but however though although except tapi tetapi namun cuma hanya sayang kecuali"""
)
