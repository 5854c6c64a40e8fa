"""What the agent says to guests, in English and Indonesian (other languages get English).

Guest-facing phrases live here, not in the .po files: they follow the guest's language, not the
staff's screen, and a reply must never depend on a compiled catalogue being present.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "id")

PHRASES: dict[str, dict[str, str]] = {
    "holding": {
        "en": "Thank you for your message. I have passed it to our team and someone will reply "
        "to you shortly.",
        "id": "Terima kasih atas pesan Anda. Pesan Anda sudah saya teruskan ke tim kami, staf "
        "kami akan segera membalas.",
    },
    "holding_question": {
        "en": "Let me check that with our team; someone will get back to you shortly.",
        "id": "Saya tanyakan dulu ke tim kami ya; staf kami akan segera membalas.",
    },
    "complaint": {
        "en": "I am sorry to hear that. I have alerted our team and a staff member will contact "
        "you right away.",
        "id": "Mohon maaf atas ketidaknyamanannya. Sudah saya sampaikan ke tim kami dan staf "
        "kami akan segera menghubungi Anda.",
    },
    "human": {
        "en": "Of course. I have asked a member of our team to continue this chat with you.",
        "id": "Tentu. Saya sudah meminta staf kami untuk melanjutkan percakapan ini dengan Anda.",
    },
    "greeting": {
        "en": "Hello! How can I help you? I can take room-service orders, ask housekeeping for "
        "anything you need, or answer questions about the hotel.",
        "id": "Halo! Ada yang bisa saya bantu? Saya bisa menerima pesanan room service, meminta "
        "housekeeping, atau menjawab pertanyaan tentang hotel.",
    },
    "thanks": {
        "en": "You are welcome! Let me know if you need anything else.",
        "id": "Sama-sama! Kabari saya jika ada yang bisa dibantu lagi.",
    },
    "order_confirm": {
        "en": "Please confirm your room-service order for room {room}:\n{lines}\nTotal: {total}\n"
        "Reply YES to confirm or NO to cancel.",
        "id": "Mohon konfirmasi pesanan room service untuk kamar {room}:\n{lines}\nTotal: {total}\n"
        "Balas YA untuk konfirmasi atau BATAL untuk membatalkan.",
    },
    "order_placed": {
        "en": "Thank you! Your order has gone to the kitchen and will be brought to room {room}.",
        "id": "Terima kasih! Pesanan Anda sudah diteruskan ke dapur dan akan diantar ke kamar "
        "{room}.",
    },
    "order_cancelled": {
        "en": "No problem, I have cancelled that order.",
        "id": "Baik, pesanan tersebut sudah dibatalkan.",
    },
    "order_expired": {
        "en": "That order was not confirmed in time, so I did not place it. Just tell me again "
        "what you would like.",
        "id": "Pesanan tersebut tidak dikonfirmasi tepat waktu, jadi belum saya proses. Silakan "
        "sebutkan lagi pesanan Anda.",
    },
    "not_on_menu": {
        "en": "Sorry, {items} is not on our room-service menu.",
        "id": "Mohon maaf, {items} tidak ada di menu room service kami.",
    },
    "outside_hours": {
        "en": "Sorry, {item} is served only from {hours}.",
        "id": "Mohon maaf, {item} hanya tersedia pukul {hours}.",
    },
    "menu_now": {
        "en": "Here is what we can bring to your room now:\n{lines}",
        "id": "Menu yang bisa kami antar ke kamar Anda sekarang:\n{lines}",
    },
    "menu_empty": {
        "en": "Room service is not available right now. I have passed your message to our team.",
        "id": "Room service sedang tidak tersedia. Pesan Anda sudah saya teruskan ke tim kami.",
    },
    "order_too_large": {
        "en": "That is more than I can order here in one go. I have passed it to our team, who "
        "will contact you.",
        "id": "Pesanan sebanyak itu tidak bisa saya proses sekaligus di sini. Sudah saya "
        "teruskan ke tim kami, staf kami akan menghubungi Anda.",
    },
    "no_stay": {
        "en": "I can send orders and requests to your room only during your stay. I have passed "
        "your message to our team.",
        "id": "Pesanan dan permintaan hanya bisa saya kirim ke kamar selama Anda menginap. Pesan "
        "Anda sudah saya teruskan ke tim kami.",
    },
    "too_many_requests": {
        "en": "You already have several requests open. I have asked our team to follow up with "
        "you.",
        "id": "Masih ada beberapa permintaan Anda yang sedang diproses. Sudah saya minta tim kami "
        "untuk menindaklanjuti.",
    },
    "housekeeping_towels": {
        "en": "Sure, fresh towels are on their way to room {room}.",
        "id": "Baik, handuk bersih segera kami antar ke kamar {room}.",
    },
    "housekeeping_cleaning": {
        "en": "Of course, housekeeping will come to clean room {room}.",
        "id": "Baik, petugas housekeeping akan datang membersihkan kamar {room}.",
    },
    "housekeeping_amenities": {
        "en": "Sure, we will bring that to room {room} shortly.",
        "id": "Baik, segera kami antar ke kamar {room}.",
    },
    "housekeeping_maintenance": {
        "en": "Sorry about that. Our maintenance team will come to room {room} to fix it as soon "
        "as possible.",
        "id": "Mohon maaf atas ketidaknyamanannya. Tim teknisi kami akan segera datang ke kamar "
        "{room} untuk memperbaikinya.",
    },
    "housekeeping_other": {
        "en": "I have passed your request for room {room} to our housekeeping team.",
        "id": "Permintaan Anda untuk kamar {room} sudah saya teruskan ke tim housekeeping.",
    },
    # The guest journey: answers to the mid-stay check and to the post-stay follow-up.
    "mid_stay_praise": {
        "en": "That is wonderful to hear, thank you! Enjoy the rest of your stay, and just "
        "message me here if you need anything.",
        "id": "Senang sekali mendengarnya, terima kasih! Selamat menikmati sisa masa menginap "
        "Anda, kabari saya di sini jika ada yang dibutuhkan.",
    },
    "mid_stay_problem": {
        "en": "Thank you for telling us, and I am sorry about this. I have passed it to our team "
        "so that it is put right before you check out; a staff member will contact you.",
        "id": "Terima kasih sudah memberi tahu kami, dan mohon maaf atas ketidaknyamanannya. "
        "Sudah saya sampaikan ke tim kami agar segera dibereskan sebelum Anda check out; staf "
        "kami akan menghubungi Anda.",
    },
    "mid_stay_problem_also": {
        "en": "I have also told our team, so that it is put right before you check out.",
        "id": "Sudah saya sampaikan juga ke tim kami agar dibereskan sebelum Anda check out.",
    },
    "feedback_ask_rating": {
        "en": "Thank you for sharing that! So that I note it correctly: how would you rate your "
        "stay overall, from 1 (poor) to 5 (excellent)?",
        "id": "Terima kasih sudah berbagi! Agar saya catat dengan benar: berapa nilai Anda untuk "
        "keseluruhan menginap, dari 1 (buruk) sampai 5 (luar biasa)?",
    },
    "feedback_thanks": {
        "en": "Thank you{name}! I have noted your rating of {rating} out of 5 and passed your "
        "words on to the team. We hope to welcome you back soon.",
        "id": "Terima kasih{name}! Nilai {rating} dari 5 sudah saya catat dan masukan Anda sudah "
        "saya teruskan ke tim. Semoga kami dapat menyambut Anda kembali.",
    },
    "feedback_sorry": {
        "en": "I am sorry your stay fell short; our manager will read your comments personally.",
        "id": "Mohon maaf menginap Anda kurang berkesan; manajer kami akan membaca masukan Anda "
        "secara langsung.",
    },
    "feedback_to_staff": {
        "en": "Thank you for your message. I have passed it to our team, who will reply to you "
        "personally.",
        "id": "Terima kasih atas pesan Anda. Sudah saya teruskan ke tim kami, staf kami akan "
        "membalas Anda secara langsung.",
    },
    "order_line": {
        "en": "• {quantity} × {name}: {amount}",
        "id": "• {quantity} × {name}: {amount}",
    },
    "menu_line": {"en": "• {name}: {amount}{hours}", "id": "• {name}: {amount}{hours}"},
    "and": {"en": " and ", "id": " dan "},
}


def reply_language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def say(key: str, language: str, **values: Any) -> str:
    texts = PHRASES[key]
    return texts[reply_language(language)].format(**values)


def join(names: list[str], language: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + say("and", language) + names[-1]
