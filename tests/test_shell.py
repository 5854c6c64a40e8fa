"""The app shell: the sidebar by role, the user menu's language, hotel settings, placeholders."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from tenancy.models import Tenant, UILanguage, User
from tests import factories

pytestmark = pytest.mark.django_db

OWNER_ONLY_LINKS = ["/settings/journey/", "/settings/templates/", "/settings/hotel/", "/settings/waha/", "/settings/pms/",
                    "/settings/feedback/",
                    "/settings/agent/", "/settings/team/", "/settings/audit/"]  # fmt: skip
EVERYONE_LINKS = ["/", "/inbox/", "/guests/", "/reservations/", "/messages/", "/orders/",
                  "/requests/", "/feedback/", "/automation/", "/settings/menu/",
                  "/settings/knowledge/", "/inbox/saved-replies/"]  # fmt: skip


def sidebar_links(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)
    assert nav, "no main navigation"
    return re.findall(r'href="([^"]+)"', nav.group(1))


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_it_shows_the_owner_every_menu_entry(client: Client, owner_a: User) -> None:
    links = sidebar_links(logged_in(client, owner_a).get("/").content.decode())
    # Settings: the journey and templates, then the pages staff use too (the concierge's, saved
    # replies), then the rest.
    everyday = EVERYONE_LINKS[:-3]
    assert links == everyday + OWNER_ONLY_LINKS[:2] + EVERYONE_LINKS[-3:] + OWNER_ONLY_LINKS[2:]


def test_it_hides_owner_entries_from_staff(client: Client, staff_a: User) -> None:
    links = sidebar_links(logged_in(client, staff_a).get("/").content.decode())
    assert links == EVERYONE_LINKS


def test_staff_who_follow_an_owner_link_are_told_it_is_for_owners(
    client: Client, staff_a: User
) -> None:
    for url in OWNER_ONLY_LINKS:
        response = logged_in(client, staff_a).get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "Owners only" in page and 'href="/"' in page, url
        assert url not in sidebar_links(page)


def test_the_owners_only_page_speaks_the_staff_members_language(
    client: Client, staff_a: User
) -> None:
    staff_a.ui_language = UILanguage.INDONESIAN
    staff_a.save(update_fields=["ui_language"])
    page = logged_in(client, staff_a).get("/settings/waha/").content.decode()
    assert "Khusus pemilik" in page


def test_it_shows_the_hotel_and_the_user_menu(client: Client, hotel_a: factories.Hotel) -> None:
    page = logged_in(client, hotel_a.staff).get("/").content.decode()
    assert '<div class="hotel-name">Hotel Alpha</div>' in page
    assert hotel_a.staff.email in page
    assert '<span class="badge user-role">Staff</span>' in page
    assert 'action="/account/language/"' in page
    assert 'data-open-dialog="logout-dialog"' in page
    assert 'aria-controls="sidebar"' in page and 'aria-expanded="false"' in page
    assert 'href="#main"' in page and 'id="main"' in page


def test_it_shows_django_messages_as_closable_toasts(
    client: Client, hotel_a: factories.Hotel
) -> None:
    response = logged_in(client, hotel_a.owner).post("/messages/mark-read/", follow=True)
    page = response.content.decode()
    assert '<div class="toast-stack" role="status" aria-live="polite">' in page
    assert "0 guest messages marked as read." in page
    assert "data-close-toast" in page and "data-toast-seconds" in page


def test_the_sandbox_banner_shows_without_waha(client: Client, owner_a: User, settings) -> None:
    settings.WAHA_BASE_URL = None
    assert (
        "Sandbox: messages are not delivered"
        in logged_in(client, owner_a).get("/").content.decode()
    )
    settings.WAHA_BASE_URL = "http://127.0.0.1:9"
    assert "Sandbox" not in client.get("/").content.decode()


# --- language ---------------------------------------------------------------------------------


def test_the_screen_languages_match_the_users_choices() -> None:
    assert [code for code, _ in django_settings.LANGUAGES] == UILanguage.values


def test_it_switches_the_shell_to_indonesian(client: Client, hotel_a: factories.Hotel) -> None:
    client = logged_in(client, hotel_a.owner)

    response = client.post("/account/language/", {"ui_language": "id", "next": "/feedback/"})

    assert response.status_code == 302 and response["Location"] == "/feedback/"
    hotel_a.owner.refresh_from_db()
    assert hotel_a.owner.ui_language == "id"
    page = client.get("/").content.decode()
    assert '<html lang="id"' in page
    for indonesian in ("Dasbor", "Reservasi", "Pengaturan", "Tim", "Keluar", "Bahasa",
                       "Tingkat hunian", "Pesan terkirim hari ini", "Siapkan hotel Anda",
                       "Mode uji: pesan tidak dikirim", "Langsung ke konten utama"):  # fmt: skip
        assert indonesian in page, indonesian
    assert ">Dashboard<" not in page and "Log out" not in page
    # Chart coordinates stay SVG numbers: Indonesian number formatting would write "12,5".
    assert "<rect" in page
    assert not re.search(r'\b(?:x|y|width|height)="[\d.]*,', page)


def test_the_language_is_the_users_not_the_hotels(client: Client, hotel_a: factories.Hotel) -> None:
    hotel_a.owner.ui_language = "id"
    hotel_a.owner.save(update_fields=["ui_language"])
    assert "Dasbor" in logged_in(client, hotel_a.owner).get("/").content.decode()
    page = logged_in(Client(), hotel_a.staff).get("/").content.decode()
    assert "Dasbor" not in page and ">Dashboard<" in page


def test_it_refuses_an_unknown_language(client: Client, owner_a: User) -> None:
    response = logged_in(client, owner_a).post("/account/language/", {"ui_language": "xx"})
    assert response.status_code == 400
    owner_a.refresh_from_db()
    assert owner_a.ui_language == "en"


def test_it_does_not_redirect_off_site_after_choosing_a_language(
    client: Client, owner_a: User
) -> None:
    response = logged_in(client, owner_a).post(
        "/account/language/", {"ui_language": "id", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_choosing_a_language_needs_a_login_and_a_post(client: Client, owner_a: User) -> None:
    assert client.post("/account/language/", {"ui_language": "id"}).status_code == 302
    assert logged_in(client, owner_a).get("/account/language/").status_code == 405


def test_the_compiled_catalogue_is_in_the_repository() -> None:
    with translation.override("id"):
        assert translation.gettext("Dashboard") == "Dasbor"
        assert translation.gettext("Hotel details saved.") == "Detail hotel tersimpan."


# --- hotel settings ---------------------------------------------------------------------------


def test_the_owner_sets_the_room_count(client: Client, hotel_a: factories.Hotel) -> None:
    client = logged_in(client, hotel_a.owner)
    form = {"name": "Hotel Alpha", "time_zone": "Asia/Makassar", "default_language": "id",
            "room_count": "24"}  # fmt: skip

    response = client.post("/settings/hotel/", form, follow=True)

    assert "Hotel details saved." in response.content.decode()
    tenant = Tenant.objects.get(pk=hotel_a.tenant.pk)
    assert (tenant.room_count, tenant.time_zone, tenant.default_language) == (
        24, "Asia/Makassar", "id"
    )  # fmt: skip
    assert 'value="24"' in client.get("/settings/hotel/").content.decode()


def test_it_refuses_zero_rooms(client: Client, hotel_a: factories.Hotel) -> None:
    form = {"name": "Hotel Alpha", "time_zone": "Asia/Jakarta", "default_language": "en",
            "room_count": "0"}  # fmt: skip
    response = logged_in(client, hotel_a.owner).post("/settings/hotel/", form)
    assert response.status_code == 200
    assert Tenant.objects.get(pk=hotel_a.tenant.pk).room_count is None


def test_hotel_settings_require_owner(client: Client, staff_a: User) -> None:
    client = logged_in(client, staff_a)
    assert client.get("/settings/hotel/").status_code == 403
    assert client.post("/settings/hotel/", {"name": "Taken over"}).status_code == 403
    assert Tenant.objects.get().name != "Taken over"


def test_hotel_settings_hide_other_tenants_records(
    client: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    client = logged_in(client, hotel_b.owner)
    page = client.get("/settings/hotel/").content.decode()
    assert "Hotel Bravo" in page and "Hotel Alpha" not in page
    form = {"name": "Hotel Bravo", "time_zone": "Asia/Jakarta", "default_language": "en",
            "room_count": "5", "tenant": str(hotel_a.tenant.pk)}  # fmt: skip
    client.post("/settings/hotel/", form)
    assert Tenant.objects.get(pk=hotel_a.tenant.pk).room_count is None
    assert Tenant.objects.get(pk=hotel_b.tenant.pk).room_count == 5


def test_a_new_hotel_can_give_its_room_count(client: Client) -> None:
    user = factories.make_user("new-")
    form = {"name": "Villa Baru", "time_zone": "Asia/Jakarta", "default_language": "en",
            "room_count": "12"}  # fmt: skip
    logged_in(client, user).post("/onboarding/create-tenant/", form)
    assert Tenant.objects.get(name="Villa Baru").room_count == 12
