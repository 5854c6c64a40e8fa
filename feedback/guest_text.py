"""The guest's pages (form, thank-you, expired and unknown links) in the guest's language.

These are not the staff UI's gettext languages (English and Indonesian): a guest reads the
language their post-stay message was written in, which may be any language the hotel has
templates for. The form has its own texts for the languages below; for any other it falls back
the way messages do (the hotel's default language, then English).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time

from hotel.models import Reservation
from messaging.models import MessageTemplate, Trigger
from messaging.services import choose_variant, primary_language


@dataclass(frozen=True)
class GuestText:
    title: str
    intro: str  # {hotel}, {name}
    rating: str
    stars: tuple[str, str, str, str, str]  # what 1..5 stars mean
    star_name: str  # {n}: how a screen reader names one star
    choose: str  # the caption before a star is chosen
    rating_missing: str
    topics: str
    topic_names: dict[str, str]  # feedback.models.Topic value -> its name
    skip: str  # a topic left unanswered
    comments: str
    optional: str
    comments_refused: str
    send: str
    update: str
    answered: str  # on the form again, within the edit window
    thanks_title: str  # {name}
    thanks_body: str  # {hotel}
    sorry: str  # a low rating: staff were told
    your_rating: str
    review_invite: str
    review_on: str  # {site}
    can_change: str  # {date}, {time}
    change: str
    closed_title: str
    closed: str
    expired_title: str
    expired: str
    not_found_title: str
    not_found: str


TEXTS: dict[str, GuestText] = {
    "en": GuestText(
        title="How was your stay?",
        intro="Thank you for staying at {hotel}, {name}. Your answer goes straight to the team.",
        rating="Your rating",
        stars=("Poor", "Fair", "Good", "Very good", "Excellent"),
        star_name="{n} of 5 stars",
        choose="Choose from 1 to 5 stars",
        rating_missing="Please choose from 1 to 5 stars.",
        topics="A few details",
        topic_names={
            "room": "Room",
            "cleanliness": "Cleanliness",
            "staff": "Staff",
            "breakfast": "Breakfast",
        },
        skip="No answer",
        comments="Anything we should know?",
        optional="optional",
        comments_refused="Please shorten your comment (4,000 characters at most) or remove "
        "unusual characters, then send it again.",
        send="Send",
        update="Update my answer",
        answered="You have answered already. Change anything you like and send it again.",
        thanks_title="Thank you, {name}!",
        thanks_body="Your answer has reached the team at {hotel}.",
        sorry="We are sorry your stay fell short. The team has been told and will look into it.",
        your_rating="Your rating",
        review_invite="Would you share your experience with other travellers? A review "
        "helps future guests, and it helps us.",
        review_on="Write a review on {site}",
        can_change="You can change your answer until {date}, {time}.",
        change="Change my answer",
        closed_title="Your feedback is saved",
        closed="Thank you. The time to change this answer has ended.",
        expired_title="This link has expired",
        expired="Feedback links work for 30 days after checkout. Thank you for staying with us.",
        not_found_title="Link not found",
        not_found="This feedback link is not valid. Please open the link exactly as it "
        "appears in your message.",
    ),
    "id": GuestText(
        title="Bagaimana masa menginap Anda?",
        intro="Terima kasih telah menginap di {hotel}, {name}. Jawaban Anda langsung diterima "
        "tim kami.",
        rating="Penilaian Anda",
        stars=("Buruk", "Cukup", "Baik", "Sangat baik", "Luar biasa"),
        star_name="{n} dari 5 bintang",
        choose="Pilih 1 sampai 5 bintang",
        rating_missing="Mohon pilih 1 sampai 5 bintang.",
        topics="Beberapa hal lain",
        topic_names={
            "room": "Kamar",
            "cleanliness": "Kebersihan",
            "staff": "Staf",
            "breakfast": "Sarapan",
        },
        skip="Tidak dijawab",
        comments="Ada yang perlu kami ketahui?",
        optional="opsional",
        comments_refused="Mohon persingkat komentar Anda (paling banyak 4.000 karakter) atau "
        "hapus karakter yang tidak biasa, lalu kirim lagi.",
        send="Kirim",
        update="Perbarui jawaban",
        answered="Anda sudah menjawab. Ubah yang perlu, lalu kirim lagi.",
        thanks_title="Terima kasih, {name}!",
        thanks_body="Jawaban Anda sudah diterima tim {hotel}.",
        sorry="Mohon maaf masa menginap Anda tidak sesuai harapan. Masukan Anda sudah "
        "diteruskan kepada tim kami.",
        your_rating="Penilaian Anda",
        review_invite="Maukah Anda berbagi pengalaman dengan wisatawan lain? Ulasan Anda "
        "membantu tamu berikutnya, dan membantu kami.",
        review_on="Tulis ulasan di {site}",
        can_change="Anda dapat mengubah jawaban hingga {date} pukul {time}.",
        change="Ubah jawaban",
        closed_title="Masukan Anda sudah tersimpan",
        closed="Terima kasih. Waktu untuk mengubah jawaban ini sudah berakhir.",
        expired_title="Tautan ini sudah tidak berlaku",
        expired="Tautan masukan berlaku 30 hari setelah check-out. Terima kasih telah "
        "menginap bersama kami.",
        not_found_title="Tautan tidak ditemukan",
        not_found="Tautan masukan ini tidak valid. Buka tautan persis seperti yang tertulis "
        "di pesan Anda.",
    ),
    "ja": GuestText(
        title="ご滞在はいかがでしたか？",
        intro="{name}様、{hotel}にご宿泊いただきありがとうございました。"
        "ご回答はスタッフに直接届きます。",
        rating="総合評価",
        stars=("不満", "やや不満", "普通", "満足", "大変満足"),
        star_name="5段階中{n}つ星",
        choose="星を1〜5つお選びください",
        rating_missing="星1つから5つまでで評価をお選びください。",
        topics="項目別の評価",
        topic_names={
            "room": "客室",
            "cleanliness": "清潔さ",
            "staff": "スタッフ",
            "breakfast": "朝食",
        },
        skip="回答しない",
        comments="お気づきの点があればお聞かせください",
        optional="任意",
        comments_refused="コメントを短くするか（最大4,000文字）、特殊な文字を削除してから、"
        "もう一度送信してください。",
        send="送信する",
        update="回答を更新する",
        answered="回答済みです。内容を変更して、もう一度送信できます。",
        thanks_title="{name}様、ありがとうございました！",
        thanks_body="ご回答は{hotel}のスタッフに届きました。",
        sorry="ご期待に添えず申し訳ございません。いただいたご意見はスタッフに共有し、"
        "改善に努めます。",
        your_rating="あなたの評価",
        review_invite="よろしければ、口コミサイトでもご感想をお聞かせください。"
        "これからご旅行される方の参考になり、私どもの励みにもなります。",
        review_on="{site}で口コミを書く",
        can_change="{date} {time}まで回答を変更できます。",
        change="回答を変更する",
        closed_title="ご回答は保存されています",
        closed="ご協力ありがとうございました。回答を変更できる期間は終了しました。",
        expired_title="このリンクは有効期限が切れています",
        expired="アンケートのリンクはチェックアウト後30日間有効です。"
        "ご宿泊ありがとうございました。",
        not_found_title="リンクが見つかりません",
        not_found="このアンケートのリンクは無効です。メッセージに記載されたリンクを"
        "そのまま開いてください。",
    ),
}
FALLBACK = "en"


def post_stay_language(reservation: Reservation) -> str:
    """The language the guest's post-stay message is written in: the hotel's post-stay
    template in the guest's language, else the hotel's default, else any (as messages choose);
    without such a template, the guest's own language, else the hotel's."""
    tenant, guest = reservation.tenant, reservation.guest
    template = (
        MessageTemplate.objects.filter(tenant=tenant, trigger=Trigger.POST_STAY)
        .prefetch_related("variants")
        .first()
    )
    variant = (
        choose_variant(template, guest.language, tenant.default_language) if template else None
    )
    if variant is not None:
        return primary_language(variant.language_code)
    return primary_language(guest.language or tenant.default_language)


def language_for(reservation: Reservation) -> str:
    """The message's language if the form speaks it, else the hotel's default, else English."""
    for candidate in (post_stay_language(reservation), reservation.tenant.default_language):
        language = primary_language(candidate)
        if language in TEXTS:
            return language
    return FALLBACK


def language_from_header(accept_language: str) -> str:
    """For a link that names no stay: the first language of the browser's that the form
    speaks (quality values aside: browsers list languages in order of preference)."""
    for part in accept_language.split(","):
        language = primary_language(part.split(";")[0])
        if language in TEXTS:
            return language
    return FALLBACK


def until(moment: dt.datetime, time_zone: str, language: str) -> dict[str, str]:
    """`moment` as the guest reads it, in the hotel's time zone: {"date": ..., "time": ...}."""
    local = moment.astimezone(ZoneInfo(time_zone))
    return {
        "date": format_skeleton("MMMMd", local, locale=language),
        "time": format_time(local, "short", locale=language),
    }
