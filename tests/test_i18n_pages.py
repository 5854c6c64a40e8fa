"""Staff who choose Indonesian get Indonesian pages, not English pages under an Indonesian menu.

Each page is checked for its Indonesian heading and for English strings that were on it before it
was translated; English stays the default (the other tests assert the English text).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from hotel.models import Guest
from pms.models import SyncRun
from tests import factories

PO_FILE = Path(__file__).resolve().parent.parent / "locale" / "id" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def hotel(db: None) -> factories.Hotel:
    hotel = factories.make_hotel("Hotel Melati")
    factories.fill_every_table(hotel)
    for user in (hotel.owner, hotel.staff):
        user.ui_language = "id"
        user.save(update_fields=["ui_language"])
    return hotel


def page_of(client: Client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_indonesian(html: str, heading: str, present: tuple[str, ...], absent: tuple[str, ...]):
    assert '<html lang="id"' in html
    assert re.search(rf"<h1[^>]*>\s*{re.escape(heading)}", html), heading
    for text in present:
        assert text in html, text
    for text in absent:
        assert text not in html, text


def test_it_shows_the_guest_list_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.staff, "/guests/")
    assert_indonesian(
        html,
        "Tamu",
        ("Cari tamu", "Nama, telepon, atau email", ">Negara<", ">Terdaftar<", "Urutkan"),
        (
            "Search guests",
            "Everyone who has stayed",
            ">Country<",
            ">Joined<",
            "Sort by",
            " of 1 guest",
        ),
    )


def test_it_shows_the_reservation_list_in_indonesian(
    client: Client, hotel: factories.Hotel
) -> None:
    html = page_of(client, hotel.staff, "/reservations/")
    assert_indonesian(
        html,
        "Reservasi",
        ("Cari reservasi", ">Kedatangan<", ">Keberangkatan<", "Sebelum tiba", "Sudah check-out"),
        (
            "Search reservations",
            ">Arrival<",
            ">Departure<",
            "Pre-arrival",
            "Checked out",
            "Every stay",
        ),
    )


def test_it_shows_a_reservation_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.staff, f"/reservations/{hotel.reservation.public_id}/")
    assert_indonesian(
        html,
        hotel.guest.full_name,
        (
            "Kamar 101",
            "2 malam",
            "Masa menginap",
            "Otomatisasi terjadwal",
            ">Kirim pesan<",
            "Dalam antrean",
            "1 dewasa",
            "Tautan WhatsApp tamu",
        ),
        (
            "Room 101",
            " nights",
            "Scheduled automations",
            ">Send a message<",
            ">Queued<",
            "Stay<",
            " adult",
            "WhatsApp link",
        ),
    )


def test_it_shows_a_guest_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.staff, f"/guests/{hotel.guest.public_id}/")
    assert_indonesian(
        html,
        hotel.guest.full_name,
        ("Kontak", "Persetujuan WhatsApp", "Riwayat menginap", "tamu sejak", "Dalam antrean"),
        ("Contact<", "WhatsApp consent", "Stays<", "guest since", ">Queued<", "No consent"),
    )


def test_it_marks_a_phone_whatsapp_cannot_use_in_indonesian(
    client: Client, hotel: factories.Hotel
) -> None:
    Guest.objects.filter(pk=hotel.guest.pk).update(phone_e164="", phone_raw="12345")

    html = page_of(client, hotel.staff, f"/guests/{hotel.guest.public_id}/")

    assert_indonesian(
        html,
        hotel.guest.full_name,
        ("Nomor tidak bisa dipakai", "PMS mencatat “12345”"),
        ("Phone not usable", "The PMS has", "no messages"),
    )


def test_it_counts_phones_whatsapp_cannot_use_on_the_pms_page_in_indonesian(
    client: Client, hotel: factories.Hotel
) -> None:
    SyncRun.objects.filter(tenant=hotel.tenant).update(unusable_phones=3)

    html = page_of(client, hotel.owner, "/settings/pms/")

    assert "3 tamu memiliki nomor telepon yang tidak bisa dipakai untuk WhatsApp" in html
    assert "can't be used" not in html


def test_it_shows_the_message_log_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.staff, "/messages/")
    assert_indonesian(
        html,
        "Pesan",
        ("Tamu atau kode booking", "Saring", ">Alasan<", "Dari tamu", ">Dalam antrean<"),
        ("Guest or booking code", ">Filter<", ">Why<", "From guests", ">Queued<", "newest first"),
    )


def test_it_shows_the_automation_page_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.owner, "/automation/")
    assert_indonesian(
        html,
        "Otomatisasi",
        (
            "Pekerjaan di latar belakang",
            ">Tugas<",
            "Jadwal berikutnya",
            ">Kirim pesan<",
            "Batalkan",
        ),
        ("Background work", ">Job<", "Next run", ">Send a message<", "Cancel this job"),
    )


def test_it_shows_the_feedback_list_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.staff, "/feedback/")
    assert_indonesian(
        html,
        "Ulasan",
        ("Belum ada jawaban", "30 hari terakhir", "Titik kontak", "Respons pertama ke tamu"),
        ("No answers in this period", "Last 30 days", "Touchpoint", "First response to guests"),
    )


def test_it_shows_the_templates_page_in_indonesian(client: Client, hotel: factories.Hotel) -> None:
    html = page_of(client, hotel.owner, "/settings/templates/")
    assert_indonesian(
        html,
        "Templat pesan",
        ("Pratinjau dengan", "Tambah bahasa", "Kode ISO 639-1", ">Sebelum tiba<", "Nonaktifkan"),
        ("Preview with", "Add a language", "ISO 639-1 code", ">Pre-arrival<", "Turn off"),
    )


def test_it_refuses_a_message_in_the_users_language_but_answers_the_api_in_english(
    client: Client, hotel: factories.Hotel
) -> None:
    client.force_login(hotel.staff)
    form = {"reservation": str(hotel.reservation.public_id), "trigger": "", "text": " "}
    preview = client.post("/api/messages/preview/", form).content.decode()
    assert "Tulis pesan, atau pilih templat." in preview
    api = client.post("/api/messages/send/", form, HTTP_ACCEPT="application/json")
    assert api.status_code == 400
    assert api.json() == {"error": "Write a message, or choose a template."}


@pytest.mark.parametrize(
    ("url", "heading", "present", "absent"),
    [
        (
            "/settings/pms/",
            "Koneksi PMS",
            ("Uji koneksi", "Riwayat sinkronisasi", "Alamat API PMS", "Majukan demo satu hari"),
            ("Test connection", "Sync history", "Address of the PMS API", "Advance the demo"),
        ),
        (
            "/settings/waha/",
            "WhatsApp",
            ("Koneksi", "Kecepatan pengiriman", "Mode uji"),
            (">Connection<", "Sending pace", "No WhatsApp server is configured"),
        ),
        (
            "/settings/team/",
            "Tim",
            ("Undang staf", "Anggota aktif", "Kirim undangan", ">Menunggu<", ">Pemilik<"),
            ("Invite staff", "Active members", "Send invitation", ">Pending<", ">Owner<"),
        ),
        (
            "/settings/agent/",
            "Concierge",
            ("Siapa yang menjawab tamu", "Mesin bawaan", "Belum dikonfigurasi."),
            ("Who answers guests", "Embedded engine", "Not configured."),
        ),
    ],
)
def test_it_shows_the_owners_settings_in_indonesian(
    client: Client,
    hotel: factories.Hotel,
    url: str,
    heading: str,
    present: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    assert_indonesian(page_of(client, hotel.owner, url), heading, present, absent)


def test_the_login_page_follows_the_browsers_language(db: None) -> None:
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert_indonesian(
        html,
        "Masuk",
        ("Kata sandi", "Lupa kata sandi?", "Buat akun"),
        ("Log in<", "Password", "Forgot your password?"),
    )
    english = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Log in</h1>" in english and "Forgot your password?" in english


def test_every_message_has_an_indonesian_translation() -> None:
    """No English slips through a missing or fuzzy entry of the catalogue."""
    text = PO_FILE.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first block is the header
    assert entries
    for entry in entries:
        if entry.lstrip().startswith("#~"):
            continue  # an obsolete entry, not compiled
        assert "#, fuzzy" not in entry and "fuzzy," not in entry, entry
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.MULTILINE)
        assert strings, entry
        for quoted in strings:
            assert "".join(re.findall(r'"(.*)"', quoted)), entry
