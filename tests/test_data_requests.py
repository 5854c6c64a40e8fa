"""A guest asks what the hotel holds about them, or to be forgotten: from the guest's page an
owner downloads everything (JSON, or a page to read), and erases the guest everywhere. Both
are recorded; staff are told it is for owners; another hotel's guest does not exist."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db.models import Avg
from django.test import Client
from django.utils import timezone

from automation.models import AutomationJob, JobStatus
from compliance.models import DataRequest, RequestKind
from conversations import services as conversations
from conversations.models import Conversation, NoteKind
from hotel.models import ConsentEvent, Guest, Reservation
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import Person, furnish_guest, texts_of_every_table, where_named
from whatsapp import sender

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def pms_secret(hotel: factories.Hotel) -> str:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        return pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
        )


@pytest.fixture
def two_guests(hotel_a: factories.Hotel) -> tuple[Person, Person]:
    """Zuleika, whose data is asked for, and Bartholomew, another guest of the same hotel."""
    secret = pms_secret(hotel_a)
    stay = {"check_in": TODAY - dt.timedelta(days=20), "check_out": TODAY - dt.timedelta(days=17)}
    zuleika = furnish_guest(
        hotel_a, secret, first="Zuleika", last="Featherstonehaugh", phone="+6289911112222",
        email="zuleika@example.org", pms_id="901", **stay,
    )  # fmt: skip
    bartholomew = furnish_guest(
        hotel_a, secret, first="Bartholomew", last="Quixley", phone="+6289933334444",
        email="bart@example.org", pms_id="902", **stay,
    )  # fmt: skip
    return zuleika, bartholomew


def owner(hotel: factories.Hotel, *, language: str = "en") -> Client:
    hotel.owner.ui_language = language
    hotel.owner.save(update_fields=["ui_language"])
    client = Client()
    client.force_login(hotel.owner)
    return client


def staff(hotel: factories.Hotel) -> Client:
    client = Client()
    client.force_login(hotel.staff)
    return client


def urls(guest: Guest) -> dict[str, str]:
    base = f"/guests/{guest.public_id}"
    return {"page": f"{base}/data/", "json": f"{base}/data.json", "erase": f"{base}/erase/"}


# --- export ------------------------------------------------------------------------------------


def test_the_json_export_holds_everything_about_the_guest_and_nothing_of_another(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _bartholomew = two_guests
    response = owner(hotel_a).get(urls(zuleika.guest)["json"])

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="guest-{zuleika.guest.public_id}.json"'
    )
    data = json.loads(response.content)
    assert data["guest"]["first_name"] == "Zuleika"
    assert data["guest"]["email"] == "zuleika@example.org"
    assert [r["pms_reservation_id"] for r in data["reservations"]] == ["R-901"]
    bodies = [m["body"] for m in data["messages"]]
    assert "Zuleika here, I am allergic to peanuts" in bodies
    assert "Hello, this is Zuleika Featherstonehaugh" in bodies  # from their number, unmatched
    assert data["room_service_orders"][0]["items"][0]["notes"] == "for Zuleika, no peanuts"
    assert data["housekeeping_requests"][0]["details"] == "Zuleika wants two more towels"
    assert data["feedback"][0]["feedback_comments"] == "Lovely stay, Zuleika"
    assert data["feedback"][0]["feedback_rating"] == 4
    assert [e["change"] for e in data["consent_history"]] == ["opted-out", "opted-in"]
    assert any("+6289911112222" in json.dumps(e["payload"]) for e in data["webhook_events"])
    [conversation] = data["conversations"]
    assert conversation["contact_name"] == "Zuleika Featherstonehaugh"
    assert conversation["escalation_reason"] == "Zuleika wants to speak to the manager"
    assert sorted(n["kind"] for n in data["conversation_notes"]) == ["note", "system"]
    assert data["conversation_events"][0]["params"] == {
        "reason": "Zuleika wants to speak to the manager"
    }
    assert data["draft_orders"][0]["items"][0]["notes"] == "Zuleika: less sugar"
    assert data["refused_numbers"] == [] and data["audit_log"] == []
    everything = response.content.decode()
    for other in ("Bartholomew", "Quixley", "6289933334444", "bart@example.org", "R-902"):
        assert other not in everything


def test_the_readable_page_shows_the_same_and_both_exports_are_recorded(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    client = owner(hotel_a)
    page = client.get(urls(zuleika.guest)["page"])
    client.get(urls(zuleika.guest)["json"])

    html = page.content.decode()
    assert page.status_code == 200
    assert "Everything we hold about this guest" in html
    for shown in ("Featherstonehaugh", "allergic to peanuts", "Zuleika wants two more towels"):
        assert shown in html
    assert "Bartholomew" not in html
    with acting_for_tenant(hotel_a.tenant.id):
        recorded = list(
            DataRequest.objects.filter(guest=zuleika.guest)
            .order_by("pk")
            .values_list("kind", "requested_by", "details")
        )
    assert recorded == [
        (RequestKind.EXPORT, hotel_a.owner.pk, {"format": "html"}),
        (RequestKind.EXPORT, hotel_a.owner.pk, {"format": "json"}),
    ]


def test_the_readable_page_speaks_indonesian(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    html = owner(hotel_a, language="id").get(urls(zuleika.guest)["page"]).content.decode()
    assert "Semua yang kami simpan tentang tamu ini" in html
    assert "Pesanan layanan kamar" in html


# --- erasure -----------------------------------------------------------------------------------


def counts(hotel: factories.Hotel) -> dict[str, Any]:
    with acting_for_tenant(hotel.tenant.id):
        return {
            "guests": Guest.objects.count(),
            "reservations": list(Reservation.objects.values_list("status", flat=True)),
            "messages": list(MessageLog.objects.values_list("direction", "status")),
            "rating": Reservation.objects.aggregate(a=Avg("feedback_rating"))["a"],
            "consent": ConsentEvent.objects.count(),
        }


def test_erasure_removes_the_guest_from_every_table_and_keeps_the_counts(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, bartholomew = two_guests
    before, elsewhere = counts(hotel_a), counts(hotel_b)
    assert where_named(zuleika.names)  # the search finds them before

    response = owner(hotel_a).post(urls(zuleika.guest)["erase"], {"confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == f"/guests/{zuleika.guest.public_id}/"
    # Every table, found from the models: nothing names Zuleika any more.
    assert where_named(zuleika.names) == []
    # Bartholomew keeps everything, in as many tables as before.
    assert len(where_named(bartholomew.names)) >= 6
    assert counts(hotel_a) == before and counts(hotel_b) == elsewhere
    with acting_for_tenant(hotel_a.tenant.id):
        guest = Guest.objects.get(pk=zuleika.guest.pk)
        request = DataRequest.objects.get(kind=RequestKind.ERASURE)
    assert guest.anonymised_at is not None and guest.pms_guest_id == "G-901"
    assert (request.guest_id, request.requested_by_id) == (guest.pk, hotel_a.owner.pk)
    assert request.details["tables"]["messages"] == 3
    assert "Zuleika" not in json.dumps(request.details)


def thread_text(conversation: Conversation) -> str:
    """What staff read of a conversation: its row, and every line of its thread as shown."""
    shown = [
        conversation.chat_id,
        conversation.phone_e164,
        conversation.contact_name,
        conversation.last_message_preview,
        conversation.escalation_reason,
    ]
    for item in conversations.thread(conversation):
        if item.message is not None:
            shown.append(item.message.body)
        elif item.note is not None and item.note.kind == NoteKind.EVENT:
            shown.append(item.note.body % item.note.params)
        elif item.note is not None:
            shown.append(item.note.body)
    return "\n".join(shown)


def test_the_erased_guests_conversation_no_longer_names_them_nor_finds_them(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, bartholomew = two_guests
    with acting_for_tenant(hotel_a.tenant.id):
        conversation = Conversation.objects.get(guest=zuleika.guest)
        before = thread_text(conversation)
        lines = len(conversations.thread(conversation))
    assert "Zuleika" in before and "6289911112222" in before

    owner(hotel_a).post(urls(zuleika.guest)["erase"], {"confirm": "on"})

    with acting_for_tenant(hotel_a.tenant.id):
        conversation = Conversation.objects.get(pk=conversation.pk)
        after = thread_text(conversation)
        # The lines stay, emptied; the message from their number that was never matched to
        # them (tied to the thread by its chat alone) leaves it with the chat.
        assert len(conversations.thread(conversation)) == lines - 1
        found = {
            query: list(conversations.inbox(hotel_a.tenant, hotel_a.owner, "all", query))
            for query in ("Zuleika", "89911112222", "Bartholomew")
        }
    for name in zuleika.names:
        assert name.lower() not in after.lower()
    assert "Asked for a person" in after
    assert found["Zuleika"] == [] and found["89911112222"] == []
    assert [c.guest_id for c in found["Bartholomew"]] == [bartholomew.guest.pk]


def test_a_number_that_said_stop_is_in_the_export_and_stays_refused_after_the_erasure(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    with acting_for_tenant(hotel_a.tenant.id):
        sender.refuse(hotel_a.tenant, "+6289911112222", "the guest wrote STOP")
    client = owner(hotel_a)
    client.get(urls(zuleika.guest)["page"])
    data = json.loads(client.get(urls(zuleika.guest)["json"]).content)
    assert [r["phone_e164"] for r in data["refused_numbers"]] == ["+6289911112222"]
    assert [e["event"] for e in data["audit_log"]] == ["compliance.guest_exported"]

    client.post(urls(zuleika.guest)["erase"], {"confirm": "on"})

    # Erasure does not put the number back on the hotel's list of numbers it may write to.
    assert sender.refuses(hotel_a.tenant, "+6289911112222")
    assert where_named(zuleika.names) == [("refused_numbers", "phone_e164")]


def test_an_erased_guests_page_says_so_and_their_feedback_link_no_longer_opens(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    client = owner(hotel_a)
    client.post(urls(zuleika.guest)["erase"], {"confirm": "on"})

    html = client.get(f"/guests/{zuleika.guest.public_id}/").content.decode()
    assert "This guest's personal data was removed on" in html
    assert urls(zuleika.guest)["erase"] not in html
    with acting_for_tenant(hotel_a.tenant.id):
        assert Reservation.objects.get(pk=zuleika.reservation.pk).feedback_token_hash is None
    assert client.post(urls(zuleika.guest)["erase"], {"confirm": "on"}).status_code == 409


def test_erasure_needs_the_confirmation_and_changes_nothing_without_it(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    client = owner(hotel_a)
    page = client.get(urls(zuleika.guest)["erase"])
    refused = client.post(urls(zuleika.guest)["erase"], {})

    assert page.status_code == 200 and "Erase this guest" in page.content.decode()
    assert refused.status_code == 400
    assert "Tick the box to confirm the erasure." in refused.content.decode()
    assert where_named(["Zuleika"]) != []
    assert not DataRequest.objects.filter(kind=RequestKind.ERASURE).exists()


def test_a_guest_in_house_is_erased_only_after_a_warning_and_a_second_yes(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    with acting_for_tenant(hotel_a.tenant.id):
        Reservation.objects.filter(pk=zuleika.reservation.pk).update(status="on-stay")
        waiting = AutomationJob.objects.create(
            tenant=hotel_a.tenant,
            kind="send_message",
            reservation=zuleika.reservation,
            run_at=timezone.now() + dt.timedelta(hours=2),
            payload={"reservation": zuleika.reservation.pk, "trigger": "on-stay"},
        )
    client = owner(hotel_a)
    warning = client.get(urls(zuleika.guest)["erase"]).content.decode()
    first_yes = client.post(urls(zuleika.guest)["erase"], {"confirm": "on"})

    assert "This guest is staying with us now." in warning
    assert first_yes.status_code == 400
    assert "This guest is in house" in first_yes.content.decode()
    assert where_named(["Zuleika"]) != []

    second = client.post(urls(zuleika.guest)["erase"], {"confirm": "on", "confirm_in_house": "on"})
    assert second.status_code == 302 and where_named(["Zuleika"]) == []
    waiting.refresh_from_db()
    assert waiting.status == JobStatus.CANCELLED  # no message composed for nobody


def test_the_erase_page_warns_in_indonesian(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    zuleika, _ = two_guests
    with acting_for_tenant(hotel_a.tenant.id):
        Reservation.objects.filter(pk=zuleika.reservation.pk).update(status="on-stay")
    html = owner(hotel_a, language="id").get(urls(zuleika.guest)["erase"]).content.decode()
    assert "Tamu ini sedang menginap di hotel kita." in html


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["page", "json", "erase"])
def test_staff_are_told_it_is_for_owners(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person], which: str
) -> None:
    zuleika, _ = two_guests
    client = staff(hotel_a)
    shown = client.get(urls(zuleika.guest)[which])
    posted = client.post(urls(zuleika.guest)["erase"], {"confirm": "on"})

    assert shown.status_code == 403 and "Owners only" in shown.content.decode()
    assert posted.status_code == 403
    assert where_named(["Zuleika"]) != []
    assert not DataRequest.objects.exists()


@pytest.mark.parametrize("which", ["page", "json", "erase"])
def test_it_hides_other_tenants_records(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel, which: str
) -> None:
    client = owner(hotel_b)
    assert client.get(urls(hotel_a.guest)[which]).status_code == 404
    assert client.post(urls(hotel_a.guest)["erase"], {"confirm": "on"}).status_code == 404
    with acting_for_tenant(hotel_a.tenant.id):
        assert Guest.objects.get(pk=hotel_a.guest.pk).anonymised_at is None


def test_bad_input_is_a_4xx(hotel_a: factories.Hotel) -> None:
    client = owner(hotel_a)
    assert client.get("/guests/not-a-uuid/data/").status_code == 404
    assert client.get("/guests/00000000-0000-0000-0000-000000000000/erase/").status_code == 404
    assert client.post(urls(hotel_a.guest)["json"]).status_code == 405
    assert client.put(urls(hotel_a.guest)["erase"]).status_code == 405


def test_the_guest_page_offers_owners_the_export_and_erasure_and_tells_staff_who_can(
    hotel_a: factories.Hotel,
) -> None:
    page = f"/guests/{hotel_a.guest.public_id}/"
    as_owner = owner(hotel_a).get(page).content.decode()
    as_staff = staff(hotel_a).get(page).content.decode()

    for url in urls(hotel_a.guest).values():
        assert url in as_owner and url not in as_staff
    assert "Only an owner can export or erase a guest's personal data." in as_staff


def test_nothing_else_of_the_hotel_is_in_an_export(
    hotel_a: factories.Hotel, two_guests: tuple[Person, Person]
) -> None:
    """The other guest's every stored text, found from the models, is absent from the file."""
    zuleika, _bartholomew = two_guests
    exported = owner(hotel_a).get(urls(zuleika.guest)["json"]).content.decode()
    theirs = {
        text
        for _table, _column, text in texts_of_every_table([hotel_a.tenant.id])
        if "Bartholomew" in text or "Quixley" in text or "6289933334444" in text
    }
    assert theirs  # there is something of theirs to leak
    assert not [text for text in theirs if text in exported]
