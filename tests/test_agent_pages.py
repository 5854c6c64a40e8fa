"""/settings/menu/ and /settings/knowledge/: owners edit what the concierge sells and knows,
staff read it, another hotel's rows are a 404, and bad input is refused and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from agent.demo import seed_menu_and_knowledge
from agent.models import KnowledgeEntry, MenuItem
from tenancy.db import acting_for_tenant
from tenancy.models import UILanguage, User
from tests import factories

pytestmark = pytest.mark.django_db

ITEM = {
    "name": "Nasi Campur",
    "aliases": "mixed rice,  campur ",
    "price": "55000",
    "category": "food",
    "available_from": "",
    "available_until": "",
    "is_active": "on",
}
ENTRY = {
    "question": "Do you have a gym?",
    "answer": "Yes, the gym on the roof is open from 6:00 to 22:00.",
    "language": "en",
    "topic": "gym",
}


def logged_in(user: User, language: str = UILanguage.ENGLISH) -> Client:
    User.objects.filter(pk=user.pk).update(ui_language=language)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seeded(hotel_a: factories.Hotel) -> factories.Hotel:
    with acting_for_tenant(hotel_a.tenant.id):
        seed_menu_and_knowledge(hotel_a.tenant)
    return hotel_a


def item_of(hotel: factories.Hotel, name: str = "Nasi Goreng") -> MenuItem:
    return MenuItem.objects.get(tenant=hotel.tenant, name=name)


# --- menu ----------------------------------------------------------------------------------------


def test_the_owner_adds_an_item_and_everyone_sees_it_priced_in_the_hotels_currency(
    seeded: factories.Hotel,
) -> None:
    response = logged_in(seeded.owner).post("/settings/menu/add/", ITEM, follow=True)

    assert response.status_code == 200
    item = item_of(seeded, "Nasi Campur")
    assert item.price == Decimal(55000) and item.aliases == "mixed rice, campur"
    page = logged_in(seeded.staff).get("/settings/menu/").content.decode()
    assert "Nasi Campur" in page and "IDR\xa055,000" in page
    assert "Add an item" not in page  # staff read, they do not edit


def test_the_owner_edits_hours_and_takes_an_item_off_the_menu(seeded: factories.Hotel) -> None:
    item = item_of(seeded)
    owner = logged_in(seeded.owner)

    response = owner.post(
        f"/settings/menu/{item.public_id}/",
        {**ITEM, "name": "Nasi Goreng", "price": "70000", "available_from": "22:00",
         "available_until": "02:00", "is_active": ""},
    )  # fmt: skip

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.price, item.is_active, str(item.available_from)) == (70000, False, "22:00:00")
    assert "Off the menu" in owner.get("/settings/menu/").content.decode()
    owner.post(f"/settings/menu/{item.public_id}/delete/")
    assert not MenuItem.objects.filter(pk=item.pk).exists()


def test_staff_cannot_change_the_menu(seeded: factories.Hotel) -> None:
    item = item_of(seeded)
    staff = logged_in(seeded.staff)

    assert staff.post("/settings/menu/add/", ITEM).status_code == 403
    assert staff.get(f"/settings/menu/{item.public_id}/").status_code == 403
    assert (
        staff.post(f"/settings/menu/{item.public_id}/", {**ITEM, "price": "1"}).status_code == 403
    )
    assert staff.post(f"/settings/menu/{item.public_id}/delete/").status_code == 403
    item.refresh_from_db()
    assert item.price == Decimal(65000)
    assert not MenuItem.objects.filter(name="Nasi Campur").exists()


def test_another_hotels_menu_is_a_404(seeded: factories.Hotel, hotel_b: factories.Hotel) -> None:
    item = item_of(seeded)
    stranger = logged_in(hotel_b.owner)

    assert stranger.get(f"/settings/menu/{item.public_id}/").status_code == 404
    assert stranger.post(f"/settings/menu/{item.public_id}/delete/").status_code == 404
    assert "Nasi Goreng" not in stranger.get("/settings/menu/").content.decode()
    assert MenuItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"price": "abc"}, "Enter a number"),
        ({"price": "-5"}, "Enter a price between 0"),
        ({"price": "1e20"}, ""),
        ({"name": ""}, "This field is required"),
        ({"name": "nasi goreng"}, "already has an item of this name"),
        ({"available_from": "10:00"}, "Give both times"),
        ({"available_from": "10:00", "available_until": "10:00"}, "must differ"),
        ({"available_from": "25:99", "available_until": "10:00"}, "Enter a valid time"),
        ({"category": "weapons"}, "Select a valid choice"),
        ({"name": "x" * 81}, "at most 80 characters"),
    ],
)
def test_a_bad_menu_item_is_refused_and_nothing_changes(
    seeded: factories.Hotel, change: dict[str, str], error: str
) -> None:
    count = MenuItem.objects.count()

    response = logged_in(seeded.owner).post("/settings/menu/add/", {**ITEM, **change})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert MenuItem.objects.count() == count


def test_a_non_uuid_or_missing_item_is_a_404(seeded: factories.Hotel) -> None:
    owner = logged_in(seeded.owner)
    assert owner.get("/settings/menu/not-a-uuid/").status_code == 404
    assert owner.get("/settings/menu/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- knowledge -------------------------------------------------------------------------------------


def test_the_owner_adds_an_answer_and_the_concierge_finds_it_from_indonesian(
    seeded: factories.Hotel,
) -> None:
    owner = logged_in(seeded.owner)

    assert owner.post("/settings/knowledge/add/", ENTRY).status_code == 302

    entry = KnowledgeEntry.objects.get(tenant=seeded.tenant, topic="gym")
    assert entry.embedding_model  # embedded when saved: retrieval compares meaning
    tried = owner.post(
        "/settings/knowledge/try/", {"question": "Apakah ada gym?"}, HTTP_HX_REQUEST="true"
    )
    assert tried.status_code == 200
    assert "the gym on the roof is open" in tried.content.decode()


def test_staff_read_the_knowledge_base_and_try_questions_but_cannot_change_it(
    seeded: factories.Hotel,
) -> None:
    entry = KnowledgeEntry.objects.filter(tenant=seeded.tenant).first()
    assert entry is not None
    staff = logged_in(seeded.staff)

    page = staff.get("/settings/knowledge/").content.decode()
    assert "The pool is open every day" in page and "Add an answer" not in page
    unknown = staff.post("/settings/knowledge/try/", {"question": "Is there a casino?"})
    assert "No confident answer" in unknown.content.decode()
    assert staff.post("/settings/knowledge/add/", ENTRY).status_code == 403
    assert staff.post(f"/settings/knowledge/{entry.public_id}/", ENTRY).status_code == 403
    assert staff.post(f"/settings/knowledge/{entry.public_id}/delete/").status_code == 403
    assert not KnowledgeEntry.objects.filter(topic="gym").exists()
    assert KnowledgeEntry.objects.filter(pk=entry.pk, question=entry.question).exists()


def test_the_owner_edits_an_answer_and_another_hotel_cannot(
    seeded: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    entry = KnowledgeEntry.objects.get(tenant=seeded.tenant, topic="pool", language="en")
    url = f"/settings/knowledge/{entry.public_id}/"
    changed = {**ENTRY, "question": "When is the pool open?", "topic": "pool"}

    assert logged_in(hotel_b.owner).post(url, changed).status_code == 404
    assert logged_in(hotel_b.owner).post(url + "delete/").status_code == 404
    assert logged_in(seeded.owner).post(url, changed).status_code == 302
    entry.refresh_from_db()
    assert entry.question == "When is the pool open?"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"question": ""}, "This field is required"),
        ({"question": "?"}, "Write the question out"),
        ({"answer": "x" * 2001}, "at most 2000 characters"),
        ({"language": "klingon"}, "is not a language code"),
        ({"language": "eng"}, "two-letter"),
        ({"topic": "Late Checkout!"}, "lower-case letters"),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_changes(
    seeded: factories.Hotel, change: dict[str, str], error: str
) -> None:
    count = KnowledgeEntry.objects.count()

    response = logged_in(seeded.owner).post("/settings/knowledge/add/", {**ENTRY, **change})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert KnowledgeEntry.objects.count() == count


def test_an_empty_or_huge_trial_question_is_a_400(seeded: factories.Hotel) -> None:
    owner = logged_in(seeded.owner)
    assert owner.post("/settings/knowledge/try/", {"question": ""}).status_code == 400
    assert owner.post("/settings/knowledge/try/", {"question": "x" * 501}).status_code == 400
    assert owner.get("/settings/knowledge/try/").status_code == 405


def test_the_pages_speak_indonesian(seeded: factories.Hotel) -> None:
    staff = logged_in(seeded.staff, UILanguage.INDONESIAN)

    menu = staff.get("/settings/menu/").content.decode()
    knowledge = staff.get("/settings/knowledge/").content.decode()

    assert "Menu room service" in menu and "Rp\xa065.000" in menu
    assert "Basis pengetahuan" in knowledge and "Coba pertanyaan" in knowledge
