"""The inbox on PostgreSQL with real settings: the web connected as the app role under RLS, the
worker as the worker role. A guest and an unknown number write through the signed webhook;
staff read, answer, take over, assign, note, close; the worker sends the answer to the fake WAHA;
another hotel's conversation stays invisible."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from automation import queue
from conversations.models import Conversation, ConversationNote, Holder, SavedReply
from hotel.models import Guest
from messaging.models import Direction, MessageLog, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Membership
from tests import factories
from tests.helpers import connect_whatsapp, django_connected_as, guest_writes
from whatsapp.models import WahaConfiguration

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

UNKNOWN_CHAT = "447911123401@c.us"


def chat_of(guest: Guest) -> str:
    return f"{guest.phone_e164.lstrip('+')}@c.us"


def member(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_answer_guests_and_unknown_numbers_under_rls(fake_waha, settings) -> None:
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    connect_whatsapp(a, fake_waha, settings)
    WahaConfiguration.objects.filter(tenant=a.tenant).update(
        status_changed_at=timezone.now() - dt.timedelta(minutes=5)
    )
    theirs = Conversation.objects.create(
        tenant=b.tenant, chat_id=chat_of(b.guest), guest=b.guest, last_message_preview="B's"
    )

    with django_connected_as(django_settings.DB_APP_ROLE):
        assert guest_writes(Client(), chat_of(a.guest), "Jam berapa check-in?").status_code == 200
        assert guest_writes(Client(), UNKNOWN_CHAT, "Any room tonight?").status_code == 200
        staff, owner = member(a.staff), member(a.owner)

        listing = staff.get("/inbox/").content.decode()
        badge = staff.get("/inbox/badge/", {"m": "", "e": ""}).content.decode()
        page = staff.get("/guests/").content.decode()
        with acting_for_tenant(a.tenant.id):  # outside a request: the test names the hotel
            known = Conversation.objects.get(tenant=a.tenant, guest=a.guest)
            unknown = Conversation.objects.get(tenant=a.tenant, chat_id=UNKNOWN_CHAT)
            owner_membership = str(Membership.objects.get(user=a.owner).public_id)
        thread = staff.get(f"/inbox/{known.public_id}/").content.decode()
        answered = staff.post(f"/inbox/{unknown.public_id}/reply/", {"text": "Yes, one left."})
        noted = staff.post(
            f"/inbox/{known.public_id}/reply/", {"mode": "note", "text": "Early check-in?"}
        )
        assigned = staff.post(
            f"/inbox/{known.public_id}/assign/",
            {"assignee": owner_membership},
        )
        closed = owner.post(f"/inbox/{known.public_id}/close/")
        created = staff.post(
            f"/inbox/{unknown.public_id}/create-guest/",
            {"first_name": "Oliver", "last_name": "Brown", "language": "en"},
        )
        saved = staff.post("/inbox/saved-replies/", {"name": "Check-in", "body": "From 14:00."})
        opened = staff.get(f"/inbox/guest/{a.reservation.guest.public_id}/")
        live = staff.get(f"/inbox/{known.public_id}/live/", {"v": "old", "seen": "1"})
        other = [
            staff.get(f"/inbox/{theirs.public_id}/").status_code,
            staff.post(f"/inbox/{theirs.public_id}/take-over/").status_code,
            staff.post(f"/inbox/{theirs.public_id}/reply/", {"text": "hi"}).status_code,
        ]
        seen_guests = staff.get(
            f"/inbox/{unknown.public_id}/guests/", {"q": "Ana"}, HTTP_HX_REQUEST="true"
        ).content.decode()

    assert a.guest.full_name in listing and "+44 7911 123401" in listing
    assert "B&#x27;s" not in listing and b.guest.full_name not in listing
    assert "<title>(2) Guests · Innbox</title>" in page
    assert "Jam berapa check-in?" in thread
    assert answered.status_code == 302 and noted.status_code == 302
    assert assigned.status_code == 302 and closed.status_code == 302
    assert created.status_code == 302 and saved.status_code == 302
    assert opened["Location"] == f"/inbox/{known.public_id}/"
    assert 'data-unread="2"' in badge and 'data-notify-body="Any room tonight?"' in badge
    assert live.status_code == 200
    assert other == [404, 404, 404]
    assert a.guest.full_name in seen_guests and b.guest.full_name not in seen_guests

    known.refresh_from_db()
    unknown.refresh_from_db()
    assert (known.status, known.assignee, known.unread_count) == ("closed", a.owner, 0)
    assert unknown.holder == Holder.STAFF and unknown.guest.full_name == "Oliver Brown"
    assert ConversationNote.objects.filter(conversation=known, kind="note").count() == 1
    assert SavedReply.objects.get().tenant == a.tenant
    theirs.refresh_from_db()
    assert theirs.holder == Holder.AGENT

    # The worker, as its own role, sends the answer to the chat that wrote.
    with django_connected_as(django_settings.DB_WORKER_ROLE):
        while queue.run_once():
            pass
    sent = MessageLog.objects.get(direction=Direction.OUTBOUND, body="Yes, one left.")
    assert sent.status == MessageStatus.SENT and sent.author == a.staff
    assert [(t["chatId"], t["text"]) for t in fake_waha.sent_texts] == [
        (UNKNOWN_CHAT, "Yes, one left.")
    ]


def test_bad_input_is_a_4xx_on_postgres() -> None:
    a = factories.make_hotel("Hotel Alpha")
    Guest.objects.filter(pk=a.guest.pk).update(opted_out_at=timezone.now())
    conversation = Conversation.objects.create(
        tenant=a.tenant, chat_id=chat_of(a.guest), guest=a.guest
    )
    url = f"/inbox/{conversation.public_id}"
    with django_connected_as(django_settings.DB_APP_ROLE):
        staff = member(a.staff)
        answers = {
            "opted out": staff.post(f"{url}/reply/", {"text": "Offer!"}),
            "empty": staff.post(f"{url}/reply/", {"mode": "note", "text": " "}),
            "NUL": staff.post(f"{url}/reply/", {"mode": "note", "text": "a\x00b"}),
            "assignee": staff.post(f"{url}/assign/", {"assignee": "x" * 40}),
            "guest": staff.post(f"{url}/link-guest/", {"guest": "not-a-uuid"}),
            "search": staff.get("/inbox/", {"q": "ab\x00cd"}),
        }
    codes = {name: response.status_code for name, response in answers.items()}
    assert codes == {
        "opted out": 400,
        "empty": 400,
        "NUL": 400,
        "assignee": 400,
        "guest": 400,
        "search": 200,
    }
    assert "opted out of WhatsApp messages" in answers["opted out"].content.decode()
    assert not MessageLog.objects.exists() and not ConversationNote.objects.exists()
    assert re.search(r"Kotak|Inbox", answers["search"].content.decode())
