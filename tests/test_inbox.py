"""/inbox/: staff read and answer guests' WhatsApp conversations, take them over from the
concierge, assign, close, write notes and saved replies; the list and the thread follow new
messages and delivery ticks by polling; bad input is a 4xx and another hotel's conversation a
404. Guests write through the signed WAHA webhook, as WhatsApp would."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import hypothesis
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import strategies as st

from automation import queue
from automation.models import AutomationJob, JobKind
from conversations import services
from conversations.models import Conversation, ConversationNote, Holder, NoteKind, SavedReply
from hotel.models import Guest
from messaging.defaults import seed_default_templates
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Membership
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import connect_whatsapp, guest_writes, whatsapp_acks
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db

UNKNOWN_CHAT = "447911123401@c.us"


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    """Hotel Alpha with WhatsApp connected an hour ago (guests' messages from now on are new)."""
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant,
        session_name="default",
        status=SessionStatus.WORKING,
        status_changed_at=timezone.now() - dt.timedelta(hours=1),
    )
    return hotel_a


def member(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def chat_of(guest: Guest) -> str:
    return f"{guest.phone_e164.lstrip('+')}@c.us"


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def rows(html: str) -> list[str]:
    """The inbox list's rows, each as its HTML."""
    return re.findall(r'<li class="inbox-row[^"]*"[^>]*>.*?</li>', html, re.DOTALL)


def thread_items(html: str) -> list[str]:
    """What the thread shows, top to bottom: message texts, notes and event lines."""
    thread = html[html.index('id="thread"') :]
    thread = thread[: thread.index("</ol>")]
    texts = re.findall(
        r'class="(?:msg-text|note-text)">(.*?)</div>|class="thread-event[^"]*"><span>(.*?) ·',
        thread,
        re.DOTALL,
    )
    return [(message or event).strip() for message, event in texts]


def reply(client: Client, conversation: Conversation, **form: str) -> Any:
    return client.post(f"/inbox/{conversation.public_id}/reply/", form)


def ticks(html: str, body: str) -> str:
    """The delivery state a message shows: its tick's class (sent, delivered, read, failed)."""
    bubble = html[html.index(body) :]
    return re.search(r'class="ticks ticks-(\w+)"', bubble).group(1)


# --- guests write; staff see it --------------------------------------------------------------


def test_a_known_guests_message_appears_unread_in_their_thread(hotel) -> None:
    staff = member(hotel.staff)
    before = services.list_version(hotel.tenant)

    assert guest_writes(Client(), chat_of(hotel.guest), "Jam berapa sarapan?").status_code == 200

    # Within one poll: the list's fragment answers with the new row (204 while nothing changed).
    fragment = html_of(staff.get("/inbox/rows/", {"v": before}))
    row = rows(fragment)[0]
    assert re.search(r'id="inbox-tabs"[^>]*hx-swap-oob="true"', fragment)  # the counts too
    assert re.search(r'data-tab="unread"[^>]*>Unread <span class="tab-count">1<', fragment)
    assert hotel.guest.full_name in row and "Jam berapa sarapan?" in row
    assert "is-unread" in row and '<span class="unread-count">1' in row
    current = services.list_version(hotel.tenant)
    assert staff.get("/inbox/rows/", {"v": current}).status_code == 204
    # Every page's sidebar and title count it.
    page = html_of(staff.get("/guests/"))
    assert "<title>(1) Guests · Innbox</title>" in page
    assert re.search(r'id="inbox-badge"[^>]*data-unread="1"', page)

    conversation = Conversation.objects.get(tenant=hotel.tenant)
    assert conversation.guest == hotel.guest and conversation.reservation == hotel.reservation
    opened = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert thread_items(opened) == ["Jam berapa sarapan?"]
    assert "Room 101" in opened and hotel.reservation.booking_code in opened
    # Opening it read it.
    conversation.refresh_from_db()
    assert conversation.unread_count == 0
    assert not MessageLog.objects.filter(staff_read_at__isnull=True).exists()
    assert "<title>Inbox · Innbox</title>" in html_of(staff.get("/inbox/"))


def test_an_open_thread_follows_new_messages_and_reads_them_when_on_screen(hotel) -> None:
    staff = member(hotel.staff)
    guest_writes(Client(), chat_of(hotel.guest), "Halo")
    conversation = Conversation.objects.get()
    staff.get(f"/inbox/{conversation.public_id}/")
    conversation.refresh_from_db()
    version = services.thread_version(conversation)
    live = f"/inbox/{conversation.public_id}/live/"
    assert staff.get(live, {"v": version}).status_code == 204

    guest_writes(Client(), chat_of(hotel.guest), "Bisa minta handuk?")
    hidden = html_of(staff.get(live, {"v": version}))  # a tab in the background
    assert thread_items(hidden) == ["Halo", "Bisa minta handuk?"]
    conversation.refresh_from_db()
    assert conversation.unread_count == 1

    html_of(staff.get(live, {"v": version, "seen": "1"}))  # the thread on screen
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


def test_thread_order_is_oldest_first_with_notes_and_events_in_place(hotel) -> None:
    staff = member(hotel.staff)
    guest_writes(Client(), chat_of(hotel.guest), "First")
    conversation = Conversation.objects.get()
    reply(staff, conversation, text="Second, from staff")
    reply(staff, conversation, mode="note", text="Third, a note")
    guest_writes(Client(), chat_of(hotel.guest), "Fourth")

    items = thread_items(html_of(staff.get(f"/inbox/{conversation.public_id}/")))
    assert items == [
        "First",
        "Took over the conversation.",
        "Second, from staff",
        "Third, a note",
        "Fourth",
    ]


def test_an_unknown_number_is_answered_and_linked_to_a_new_guest(
    hotel, fake_waha, settings
) -> None:
    connect_whatsapp(hotel, fake_waha, settings)
    # Paired a minute ago: the guest's message below is new, not synced history.
    WahaConfiguration.objects.filter(tenant=hotel.tenant).update(
        status_changed_at=timezone.now() - dt.timedelta(minutes=1)
    )
    staff = member(hotel.staff)
    guest_writes(Client(), UNKNOWN_CHAT, "Do you have a room for tonight?")

    row = rows(html_of(staff.get("/inbox/")))[0]
    assert "+44 7911 123401" in row and "Unknown number" in row and "@c.us" not in row
    conversation = Conversation.objects.get()
    assert conversation.guest is None

    response = reply(staff, conversation, text="Yes, we have one. *Shall I book it?*")
    assert response.status_code == 302
    sent = MessageLog.objects.get(direction=Direction.OUTBOUND)
    assert (sent.chat_id, sent.author, sent.status) == (
        UNKNOWN_CHAT,
        hotel.staff,
        MessageStatus.QUEUED,
    )
    assert AutomationJob.objects.filter(kind=JobKind.SEND_MESSAGE).count() == 1
    thread = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert ticks(thread, "Yes, we have one.") == "queued"
    assert "<strong>Shall I book it?</strong>" in thread  # WhatsApp's formatting, as it will look

    assert queue.run_once() == 1  # the worker, against the fake WAHA
    assert [(text["chatId"], text["text"]) for text in fake_waha.sent_texts] == [
        (UNKNOWN_CHAT, "Yes, we have one. *Shall I book it?*")
    ]
    assert ticks(html_of(staff.get(f"/inbox/{conversation.public_id}/")), "Yes, we") == "sent"

    created = staff.post(
        f"/inbox/{conversation.public_id}/create-guest/",
        {"first_name": "Oliver", "last_name": "Brown", "language": "en"},
    )
    assert created.status_code == 302
    conversation.refresh_from_db()
    guest = conversation.guest
    assert (guest.full_name, guest.phone_e164, guest.whatsapp_chat_id) == (
        "Oliver Brown",
        "+447911123401",
        UNKNOWN_CHAT,
    )
    assert MessageLog.objects.filter(guest=guest).count() == 2  # their earlier messages too
    page = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert f'href="/guests/{guest.public_id}/"' in page
    assert "Linked to the guest Oliver Brown." in thread_items(page)


def test_an_unknown_number_can_be_linked_to_an_existing_guest(hotel) -> None:
    staff = member(hotel.staff)
    guest_writes(Client(), UNKNOWN_CHAT, "It's Ana, writing from my husband's phone")
    conversation = Conversation.objects.get()

    found = html_of(
        staff.get(f"/inbox/{conversation.public_id}/guests/", {"q": "ana"}, HTTP_HX_REQUEST="true")
    )
    assert hotel.guest.full_name in found and str(hotel.guest.public_id) in found
    # Without JavaScript: the thread page, with the matches under the search.
    page = html_of(
        staff.get(f"/inbox/{conversation.public_id}/guests/", {"q": hotel.reservation.booking_code})
    )
    assert 'id="thread"' in page
    assert f'name="guest" value="{hotel.guest.public_id}"' in page
    linked = staff.post(
        f"/inbox/{conversation.public_id}/link-guest/", {"guest": str(hotel.guest.public_id)}
    )
    assert linked.status_code == 302
    conversation.refresh_from_db()
    assert conversation.guest == hotel.guest and conversation.reservation == hotel.reservation
    # The guest's own chat stays the one they wrote from before (their own number).
    row = rows(html_of(staff.get("/inbox/")))[0]
    assert hotel.guest.full_name in row and "Unknown number" not in row


def test_delivery_ticks_move_from_sent_to_delivered_to_read(hotel, fake_waha, settings) -> None:
    connect_whatsapp(hotel, fake_waha, settings)
    staff = member(hotel.staff)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    reply(staff, conversation, text="Your room is ready")
    queue.run_once()
    sent = MessageLog.objects.get(direction=Direction.OUTBOUND)
    thread = f"/inbox/{conversation.public_id}/"

    assert ticks(html_of(staff.get(thread)), "Your room is ready") == "sent"
    version = services.thread_version(Conversation.objects.get())
    whatsapp_acks(Client(), sent.waha_message_id, 2)
    live = html_of(staff.get(f"{thread}live/", {"v": version}))  # the poll sees it
    assert ticks(live, "Your room is ready") == "delivered"
    whatsapp_acks(Client(), sent.waha_message_id, 3)
    assert ticks(html_of(staff.get(thread)), "Your room is ready") == "read"


def test_a_failed_send_shows_its_reason(hotel, fake_waha, settings) -> None:
    connect_whatsapp(hotel, fake_waha, settings)
    staff = member(hotel.staff)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    reply(staff, conversation, text="Are you still coming?")
    queue.run_once()
    sent = MessageLog.objects.get(direction=Direction.OUTBOUND)

    whatsapp_acks(Client(), sent.waha_message_id, -1)
    page = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert ticks(page, "Are you still coming?") == "failed"
    assert "WhatsApp reported an error delivering this message" in page


def test_who_wrote_each_outbound_message_is_shown(hotel) -> None:
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    for origin, author, body in (
        (MessageOrigin.PRE_ARRIVAL, None, "Automated welcome"),
        (MessageOrigin.AGENT, None, "The concierge speaking"),
        (MessageOrigin.HOTEL_PHONE, None, "Typed on the phone"),
        (MessageOrigin.MANUAL, hotel.owner, "The owner writes"),
    ):
        MessageLog.objects.create(
            tenant=hotel.tenant,
            direction=Direction.OUTBOUND,
            guest=hotel.guest,
            chat_id=conversation.chat_id,
            origin=origin,
            author=author,
            body=body,
            status=MessageStatus.SENT,
        )
    page = html_of(member(hotel.staff).get(f"/inbox/{conversation.public_id}/"))
    authors = re.findall(r'class="msg-author">(.*?)</div>', page)
    assert authors == [
        "Automation · Pre-arrival",
        "Concierge",
        "Hotel&#x27;s phone",
        hotel.owner.email,
    ]


# --- staff's actions ---------------------------------------------------------------------------


def test_take_over_hand_back_assign_close_and_reopen(hotel) -> None:
    staff, owner = member(hotel.staff), member(hotel.owner)
    guest_writes(Client(), chat_of(hotel.guest), "Can someone call me?")
    conversation = Conversation.objects.get()
    url = f"/inbox/{conversation.public_id}"

    assert staff.post(f"{url}/take-over/").status_code == 302
    conversation.refresh_from_db()
    assert (conversation.holder, conversation.held_by) == (Holder.STAFF, hotel.staff)
    # The owner sees who holds it, in the list and in the thread.
    assert hotel.staff.email in rows(html_of(owner.get("/inbox/")))[0]
    assert f"{hotel.staff.email} answers" in html_of(owner.get(f"{url}/"))

    owner_membership = Membership.objects.get(user=hotel.owner)
    staff.post(f"{url}/assign/", {"assignee": str(owner_membership.public_id)})
    conversation.refresh_from_db()
    assert conversation.assignee == hotel.owner
    mine = html_of(owner.get("/inbox/", {"tab": "mine"}))
    assert len(rows(mine)) == 1
    assert rows(html_of(staff.get("/inbox/", {"tab": "mine"}))) == []

    staff.post(f"{url}/hand-back/")
    conversation.refresh_from_db()
    assert (conversation.holder, conversation.held_by) == (Holder.AGENT, None)
    assert "The concierge answers" in html_of(staff.get(f"{url}/"))

    staff.post(f"{url}/close/")
    assert rows(html_of(staff.get("/inbox/"))) == []
    assert len(rows(html_of(staff.get("/inbox/", {"tab": "closed"})))) == 1
    staff.post(f"{url}/reopen/")
    assert len(rows(html_of(staff.get("/inbox/")))) == 1

    items = thread_items(html_of(staff.get(f"{url}/")))
    assert items[1:] == [
        "Took over the conversation.",
        f"Assigned to {hotel.owner.email}.",
        "Handed back to the concierge.",
        "Closed.",
        "Reopened.",
    ]
    staff.post(f"{url}/assign/", {"assignee": ""})
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_htmx_actions_answer_with_the_changed_thread_header_and_panel(hotel) -> None:
    staff = member(hotel.staff)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    answer = html_of(
        staff.post(f"/inbox/{conversation.public_id}/take-over/", HTTP_HX_REQUEST="true")
    )
    assert answer.lstrip().startswith('<ol id="thread"')
    assert 'id="conversation-state" class="conversation-header" hx-swap-oob="true"' in answer
    assert f"{hotel.staff.email} answers" in answer
    assert "Hand back to the concierge" in answer and 'id="conversation-details"' in answer


def test_replying_holds_the_conversation_and_reads_it(hotel) -> None:
    staff = member(hotel.staff)
    guest_writes(Client(), chat_of(hotel.guest), "Hello?")
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(unread_count=3)

    assert reply(staff, conversation, text="Hello Ana").status_code == 302
    conversation.refresh_from_db()
    assert conversation.unread_count == 0 and conversation.holder == Holder.STAFF
    assert (
        conversation.last_message_preview == "Hello Ana" and not conversation.last_message_inbound
    )


def test_a_template_reply_sends_the_guests_language_text(hotel) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
    staff = member(hotel.staff)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    preview = html_of(
        staff.post(f"/inbox/{conversation.public_id}/preview/", {"trigger": "on-stay"})
    )
    assert 'class="bubble"' in preview and hotel.guest.full_name in preview

    reply(staff, conversation, trigger="on-stay", text="ignored")
    sent = MessageLog.objects.get(direction=Direction.OUTBOUND)
    assert sent.language_code == "id" and hotel.guest.full_name in sent.body
    assert sent.body in preview.replace("<br>", "\n") or sent.body.split("\n")[0] in preview


def test_the_preview_shows_whatsapp_formatting_safely_escaped(hotel) -> None:
    staff = member(hotel.staff)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    preview = html_of(
        staff.post(
            f"/inbox/{conversation.public_id}/preview/",
            {"text": "*Hi* {{guestName}} _see_ ~old~ ```x``` <script>alert(1)</script>"},
        )
    )
    assert f"<strong>Hi</strong> {hotel.guest.full_name} <em>see</em> <s>old</s>" in preview
    assert "<code>x</code>" in preview
    assert "<script>" not in preview and "&lt;script&gt;" in preview


def test_internal_notes_are_shown_to_staff_and_never_sent(hotel) -> None:
    staff, owner = member(hotel.staff), member(hotel.owner)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)

    assert reply(staff, conversation, mode="note", text="VIP, upgrade if free").status_code == 302
    assert not MessageLog.objects.exists() and not AutomationJob.objects.exists()
    note = ConversationNote.objects.get(kind=NoteKind.NOTE)
    assert (note.author, note.body) == (hotel.staff, "VIP, upgrade if free")
    page = html_of(owner.get(f"/inbox/{conversation.public_id}/"))
    assert 'class="thread-note"' in page and "VIP, upgrade if free" in page
    conversation.refresh_from_db()
    assert conversation.holder == Holder.AGENT  # a note is not an answer


def test_saved_replies_are_created_edited_deleted_and_offered_in_the_reply_box(hotel) -> None:
    staff, owner = member(hotel.staff), member(hotel.owner)
    created = staff.post(
        "/inbox/saved-replies/",
        {"name": "Breakfast", "body": "Hi {{guestName}}, breakfast is *7-10* in the lobby."},
    )
    assert created.status_code == 302
    saved = SavedReply.objects.get(tenant=hotel.tenant)
    prefix = str(saved.public_id)
    owner.post(
        f"/inbox/saved-replies/{saved.public_id}/",
        {f"{prefix}-name": "Breakfast hours", f"{prefix}-body": "Breakfast: 6:30-10."},
    )
    saved.refresh_from_db()
    assert (saved.name, saved.body) == ("Breakfast hours", "Breakfast: 6:30-10.")

    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    box = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert 'data-body="Breakfast: 6:30-10."' in box and ">Breakfast hours</option>" in box

    refused = staff.post(
        "/inbox/saved-replies/", {"name": "Wi-Fi", "body": "Password: {{wifiPassword}}"}
    )
    assert refused.status_code == 400 and "Unknown variable" in refused.content.decode()
    duplicate = staff.post("/inbox/saved-replies/", {"name": "breakfast hours", "body": "x"})
    assert duplicate.status_code == 400
    assert SavedReply.objects.count() == 1

    assert owner.post(f"/inbox/saved-replies/{saved.public_id}/delete/").status_code == 302
    assert not SavedReply.objects.exists()


def test_the_guest_and_reservation_pages_link_to_the_conversation(hotel) -> None:
    staff = member(hotel.staff)
    MessageLog.objects.create(  # sent before anyone opened the conversation
        tenant=hotel.tenant,
        direction=Direction.OUTBOUND,
        guest=hotel.guest,
        chat_id=chat_of(hotel.guest),
        origin=MessageOrigin.PRE_ARRIVAL,
        body="See you tomorrow!",
        status=MessageStatus.DELIVERED,
    )
    link = f"/inbox/guest/{hotel.guest.public_id}/"
    assert link in html_of(staff.get(f"/guests/{hotel.guest.public_id}/"))
    assert link in html_of(staff.get(f"/reservations/{hotel.reservation.public_id}/"))

    response = staff.get(link)
    conversation = Conversation.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/inbox/{conversation.public_id}/"
    )
    assert conversation.chat_id == chat_of(hotel.guest)
    assert staff.get(link)["Location"] == response["Location"]  # the same one next time
    assert Conversation.objects.count() == 1
    row = rows(html_of(staff.get("/inbox/")))[0]
    assert "See you tomorrow!" in row and "No messages yet" not in row


def test_a_guest_without_a_number_has_no_conversation_to_open(hotel) -> None:
    nobody = Guest.objects.create(tenant=hotel.tenant, first_name="No", last_name="Phone")
    response = member(hotel.staff).get(f"/inbox/guest/{nobody.public_id}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/guests/{nobody.public_id}/"
    assert "No Phone has no WhatsApp number yet" in response.content.decode()
    assert not Conversation.objects.exists()


def test_the_dashboard_lists_the_guests_waiting_for_a_reply(hotel) -> None:
    staff = member(hotel.staff)
    guest_writes(Client(), chat_of(hotel.guest), "Is the pool open?")
    conversation = Conversation.objects.get()
    page = html_of(staff.get("/"))
    assert "Needs a reply" in page and "Is the pool open?" in page
    assert f'href="/inbox/{conversation.public_id}/"' in page

    reply(staff, conversation, text="Yes, until 21:00")
    assert "Is the pool open?" not in html_of(staff.get("/"))


def test_the_badge_poll_tells_the_page_what_to_announce(hotel) -> None:
    staff = member(hotel.staff)
    first = html_of(staff.get("/inbox/badge/"))
    assert 'data-unread="0"' in first and "data-notify-title" not in first
    m = re.search(r"m=([^&]*)&amp;e=([^\"]*)\"", first)
    guest_writes(Client(), chat_of(hotel.guest), "We land at 23:00")

    news = html_of(staff.get("/inbox/badge/", {"m": "2000-01-01T00:00:00+00:00", "e": ""}))
    assert 'data-unread="1"' in news
    assert f'data-notify-title="{hotel.guest.full_name}"' in news
    assert 'data-notify-body="We land at 23:00"' in news
    assert m is not None  # the first answer carried its stamps for the next poll
    again = re.search(r'hx-get="/inbox/badge/\?m=([^&]*)&amp;e=([^"]*)"', news)
    repeat = html_of(staff.get("/inbox/badge/", {"m": _unquote(again.group(1)), "e": ""}))
    assert "data-notify-title" not in repeat  # told once

    conversation = Conversation.objects.get()
    with acting_for_tenant(hotel.tenant.id):
        services.escalate(hotel.tenant, conversation, "wants to speak to a person")
    escalated = html_of(
        staff.get("/inbox/badge/", {"m": _unquote(again.group(1)), "e": "2000-01-01T00:00:00"})
    )
    assert 'data-notify-body="Asked for a person"' in escalated


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


def test_the_escalated_tab_and_badge_show_who_asked_for_a_person(hotel) -> None:
    staff = member(hotel.staff)
    guest_writes(Client(), chat_of(hotel.guest), "I want to complain")
    conversation = Conversation.objects.get()
    services.escalate(hotel.tenant, conversation, "the guest is upset")

    escalated = html_of(staff.get("/inbox/", {"tab": "escalated"}))
    assert len(rows(escalated)) == 1 and "Escalated" in rows(escalated)[0]
    assert re.search(r'data-tab="escalated">Escalated <span class="tab-count">1<', escalated)
    thread = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert "the guest is upset" in thread
    assert "Asked for a person: the guest is upset" in thread_items(thread)


@pytest.mark.parametrize(
    ("query", "found"),
    [("Ana", True), ("BK", False), ("101", True), ("zzz", False), ("5432", False)],
)
def test_the_list_is_searched_by_name_phone_booking_code_and_room(hotel, query, found) -> None:
    guest_writes(Client(), chat_of(hotel.guest), "Hi")
    digits = hotel.guest.phone_e164[-6:]
    staff = member(hotel.staff)
    assert bool(rows(html_of(staff.get("/inbox/", {"q": query})))) is found
    assert rows(html_of(staff.get("/inbox/", {"q": digits})))
    assert rows(html_of(staff.get("/inbox/", {"q": hotel.reservation.booking_code})))


def test_newest_activity_comes_first(hotel) -> None:
    other = Guest.objects.create(
        tenant=hotel.tenant, first_name="Budi", last_name="Santoso", phone_e164="+6281299990001"
    )
    guest_writes(Client(), chat_of(hotel.guest), "Earlier")
    guest_writes(Client(), chat_of(other), "Later")
    names = [
        re.search(r'class="row-name">(.*?)<', row).group(1)
        for row in rows(html_of(member(hotel.staff).get("/inbox/")))
    ]
    assert names == ["Budi Santoso", hotel.guest.full_name]


# --- permissions and bad input ------------------------------------------------------------------


def test_owners_and_staff_both_use_the_inbox(hotel) -> None:
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    for user in (hotel.owner, hotel.staff):
        client = member(user)
        assert client.get("/inbox/").status_code == 200
        assert client.get(f"/inbox/{conversation.public_id}/").status_code == 200
        assert client.get("/inbox/saved-replies/").status_code == 200


ACTIONS = [
    ("get", ""),
    ("get", "live/"),
    ("post", "reply/"),
    ("post", "preview/"),
    ("post", "take-over/"),
    ("post", "hand-back/"),
    ("post", "assign/"),
    ("post", "close/"),
    ("post", "reopen/"),
    ("get", "guests/"),
    ("post", "link-guest/"),
    ("post", "create-guest/"),
]


@pytest.mark.parametrize(("method", "path"), ACTIONS)
def test_another_hotels_conversation_is_a_404(hotel, hotel_b, method: str, path: str) -> None:
    theirs = services.of_guest(hotel_b.tenant, hotel_b.guest, create=True)
    client = member(hotel.staff)
    response = getattr(client, method)(
        f"/inbox/{theirs.public_id}/{path}", {"text": "hi", "first_name": "X"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.holder == Holder.AGENT and theirs.status == "open"
    assert not MessageLog.objects.exists() and not ConversationNote.objects.exists()


def test_another_hotels_guest_and_saved_reply_are_404s(hotel, hotel_b) -> None:
    client = member(hotel.staff)
    assert client.get(f"/inbox/guest/{hotel_b.guest.public_id}/").status_code == 404
    theirs = SavedReply.objects.create(tenant=hotel_b.tenant, name="Theirs", body="x")
    assert client.post(f"/inbox/saved-replies/{theirs.public_id}/delete/").status_code == 404
    assert (
        client.post(f"/inbox/saved-replies/{theirs.public_id}/", {"name": "y"}).status_code == 404
    )
    assert SavedReply.objects.filter(pk=theirs.pk).exists()
    assert not Conversation.objects.filter(tenant=hotel.tenant).exists()


def test_malformed_ids_are_404s(hotel) -> None:
    client = member(hotel.staff)
    for url in ("/inbox/not-a-uuid/", "/inbox/123/reply/", "/inbox/guest/xyz/"):
        assert client.get(url).status_code == 404


BAD_REPLIES = {
    "an empty reply": ({"text": "   "}, "Write a message, or choose a template."),
    "an empty note": ({"mode": "note", "text": ""}, "Write the note first."),
    "an unknown mode": ({"mode": "shout", "text": "hi"}, "Choose a reply or an internal note."),
    "an unknown template": ({"trigger": "birthday"}, "Choose one of the templates."),
    "a NUL character": ({"text": "hi\x00"}, "cannot be sent"),
    "an unknown variable": ({"text": "Hi {{wifi}}"}, "Unknown variable: {{wifi}}"),
    "a text too long": ({"text": "x" * 4097}, "longer than 4096 characters"),
}


@pytest.mark.parametrize(("form", "named"), BAD_REPLIES.values(), ids=BAD_REPLIES.keys())
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_bad_reply_is_refused_by_name_and_changes_nothing(
    hotel, form: dict, named: str, htmx: bool
) -> None:
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = member(hotel.staff).post(f"/inbox/{conversation.public_id}/reply/", form, **headers)
    assert response.status_code == 400
    assert named.replace("{", "").replace("}", "") in response.content.decode().replace(
        "{", ""
    ).replace("}", "")
    if htmx:
        assert response["HX-Retarget"] == "#inbox-problem"
    assert not MessageLog.objects.exists() and not ConversationNote.objects.exists()
    conversation.refresh_from_db()
    assert conversation.holder == Holder.AGENT


def test_a_refused_reply_keeps_what_staff_typed(hotel) -> None:
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    response = reply(member(hotel.staff), conversation, text="Dear {{guest}}, welcome")
    assert response.status_code == 400
    assert ">Dear {{guest}}, welcome</textarea>" in response.content.decode()


def test_writing_to_an_opted_out_guest_is_warned_about_and_refused(hotel) -> None:
    Guest.objects.filter(pk=hotel.guest.pk).update(opted_out_at=timezone.now())
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    staff = member(hotel.staff)

    page = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert "This guest opted out of WhatsApp messages." in page
    assert re.search(r'value="reply" disabled', page) and re.search(r'value="note" checked', page)
    response = reply(staff, conversation, text="Special offer!")
    assert response.status_code == 400
    assert "This guest opted out of WhatsApp messages." in response.content.decode()
    assert not MessageLog.objects.exists()
    assert (
        reply(staff, conversation, mode="note", text="Opted out; call instead").status_code == 302
    )


@pytest.mark.parametrize("assignee", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_assignee_is_refused(hotel, hotel_b, assignee: str) -> None:
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    outsider = str(Membership.objects.get(user=hotel_b.owner).public_id)
    client = member(hotel.staff)
    for value in [assignee, outsider] if assignee else [outsider]:
        response = client.post(f"/inbox/{conversation.public_id}/assign/", {"assignee": value})
        assert response.status_code == 400
        assert "Choose someone of your hotel." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_linking_a_guest_of_another_hotel_or_nobody_is_refused(hotel, hotel_b) -> None:
    guest_writes(Client(), UNKNOWN_CHAT, "Hello")
    conversation = Conversation.objects.get()
    client = member(hotel.staff)
    for value in (str(hotel_b.guest.public_id), "", "nope"):
        response = client.post(f"/inbox/{conversation.public_id}/link-guest/", {"guest": value})
        assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.guest is None
    refused = client.post(
        f"/inbox/{conversation.public_id}/create-guest/",
        {"first_name": " ", "language": "xx"},
    )
    assert refused.status_code == 400
    assert Guest.objects.filter(tenant=hotel.tenant).count() == 1


def test_a_search_with_a_nul_character_still_answers(hotel) -> None:
    client = member(hotel.staff)
    assert client.get("/inbox/", {"q": "ana\x00"}).status_code == 200
    assert client.get("/inbox/", {"tab": "../../etc", "shown": "lots"}).status_code == 200


def test_anonymous_visitors_go_to_the_login(client: Client) -> None:
    for url in ("/inbox/", "/inbox/badge/", "/inbox/saved-replies/"):
        assert client.get(url)["Location"].startswith("/login/")


# --- both languages ------------------------------------------------------------------------------


def test_the_inbox_speaks_indonesian(hotel) -> None:
    hotel.staff.ui_language = "id"
    hotel.staff.save(update_fields=["ui_language"])
    guest_writes(Client(), UNKNOWN_CHAT, "Halo")
    conversation = Conversation.objects.get()
    staff = member(hotel.staff)
    staff.post(f"/inbox/{conversation.public_id}/take-over/")

    listing = html_of(staff.get("/inbox/"))
    assert "<title>(1) Kotak masuk · Innbox</title>" in listing
    assert "Nomor tidak dikenal" in listing and "Belum dibaca" in listing
    thread = html_of(staff.get(f"/inbox/{conversation.public_id}/"))
    assert "Mengambil alih percakapan." in thread_items(thread)
    assert "Kembalikan ke concierge" in thread and "Catatan internal" in thread
    assert "Siapa ini?" in thread
    saved = html_of(staff.get("/inbox/saved-replies/"))
    assert "<h1>Balasan tersimpan</h1>" in saved


# --- query counts stay flat -------------------------------------------------------------------------


def add_conversations(hotel: factories.Hotel, count: int) -> None:
    tenant = hotel.tenant
    start = Guest.objects.filter(tenant=tenant).count()
    with acting_for_tenant(tenant.id):
        for n in range(count):
            guest = Guest.objects.create(
                tenant=tenant, first_name="Guest", last_name=str(start + n),
                phone_e164=f"+62813{start + n:08d}",
            )  # fmt: skip
            conversation = services.for_chat(tenant, chat_of(guest), guest=guest)
            message = MessageLog.objects.create(
                tenant=tenant, direction=Direction.INBOUND, guest=guest,
                chat_id=conversation.chat_id, body="Hello", status=MessageStatus.RECEIVED,
            )  # fmt: skip
            services.record_guest_message(tenant, conversation, message)
            if n % 2:
                services.take_over(tenant, conversation, hotel.staff)
                services.assign(tenant, conversation, hotel.staff, hotel.owner)


def add_thread(hotel: factories.Hotel, conversation: Conversation, count: int) -> None:
    with acting_for_tenant(hotel.tenant.id):
        for n in range(count):
            MessageLog.objects.create(
                tenant=hotel.tenant,
                direction=Direction.OUTBOUND if n % 2 else Direction.INBOUND,
                guest=hotel.guest,
                chat_id=conversation.chat_id,
                origin=MessageOrigin.MANUAL if n % 2 else "",
                author=hotel.staff if n % 2 else None,
                body=f"Message {n}",
                status=MessageStatus.READ if n % 2 else MessageStatus.RECEIVED,
            )
            services.add_note(hotel.tenant, conversation, hotel.owner, f"Note {n}")
            services.assign(
                hotel.tenant, conversation, hotel.owner, hotel.staff if n % 2 else hotel.owner
            )


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_inbox_list_costs_the_same_queries_for_3_or_40_conversations(hotel) -> None:
    client = member(hotel.staff)
    add_conversations(hotel, 3)
    few = {tab: queries_for(client, f"/inbox/?tab={tab}") for tab in services.TABS}
    few_rows = queries_for(client, "/inbox/rows/?v=old")
    add_conversations(hotel, 37)
    assert len(rows(html_of(client.get("/inbox/")))) == 40
    many = {tab: queries_for(client, f"/inbox/?tab={tab}") for tab in services.TABS}
    assert many == few
    assert queries_for(client, "/inbox/rows/?v=old") == few_rows


def test_a_thread_costs_the_same_queries_for_3_or_40_messages(hotel) -> None:
    client = member(hotel.staff)
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    SavedReply.objects.create(tenant=hotel.tenant, name="A", body="a")
    add_thread(hotel, conversation, 3)
    url = f"/inbox/{conversation.public_id}/"
    few, few_live = queries_for(client, url), queries_for(client, f"{url}live/?v=old")
    add_thread(hotel, conversation, 37)
    assert len(thread_items(html_of(client.get(url)))) >= 80
    assert queries_for(client, url) == few
    assert queries_for(client, f"{url}live/?v=old") == few_live
    # A poll that finds nothing new: the conversation and two small aggregates, nothing more.
    conversation.refresh_from_db()
    version = services.thread_version(conversation)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{url}live/", {"v": version}).status_code == 204
    inbox_tables = ('"conversations"', '"message_logs"', '"conversation_notes"')
    asked = [
        q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in inbox_tables)
    ]
    assert len(asked) == 3, asked


# --- hostile input: never a 5xx, a refusal changes nothing ------------------------------------------

FUZZ = hypothesis.settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
ANY_TEXT = st.one_of(st.text(max_size=60), st.sampled_from(["", " ", "\x00", "x" * 5000]))


@FUZZ
@hypothesis.given(
    path=st.sampled_from(["reply/", "preview/", "assign/", "link-guest/", "create-guest/"]),
    fields=st.dictionaries(
        st.sampled_from(
            ["mode", "text", "trigger", "assignee", "guest", "first_name", "last_name", "language"]
        ),
        ANY_TEXT,
    ),
)
def test_any_form_input_is_answered_without_a_server_error(
    hotel_a: factories.Hotel, path: str, fields: dict[str, str]
) -> None:
    conversation = Conversation.objects.filter(tenant=hotel_a.tenant).first() or (
        services.for_chat(hotel_a.tenant, UNKNOWN_CHAT, phone="+447911123401")
    )
    before = (MessageLog.objects.count(), ConversationNote.objects.count(), Guest.objects.count())
    response = member(hotel_a.staff).post(f"/inbox/{conversation.public_id}/{path}", fields)
    assert response.status_code < 500
    if response.status_code >= 400:
        after = (
            MessageLog.objects.count(),
            ConversationNote.objects.count(),
            Guest.objects.count(),
        )
        assert after == before
    for note in ConversationNote.objects.filter(kind=NoteKind.NOTE):
        assert "\x00" not in note.body and len(note.body) <= 4096
    for guest in Guest.objects.all():
        assert len(guest.first_name) <= 100 and len(guest.last_name) <= 100
