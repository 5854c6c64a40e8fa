"""The demo hotel that `make run` seeds: a new user clicks through a hotel that looks alive."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from agent.demo import MENU
from agent.models import HousekeepingRequest, KnowledgeEntry, MenuItem, RoomServiceOrder
from conversations.models import Conversation, ConversationNote
from messaging.models import MessageLog
from tenancy.models import Tenant, User

pytestmark = pytest.mark.django_db


def test_the_demo_hotel_knows_its_rooms_so_the_dashboard_shows_occupancy(settings) -> None:
    settings.WAHA_BASE_URL = None
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent: run by every `make run`

    tenant = Tenant.objects.get()
    assert tenant.room_count == 40
    owner = Client()
    owner.force_login(User.objects.get(email="owner@demo.innbox.test"))
    page = owner.get("/").content.decode()
    assert re.search(r'data-card="occupancy".*?\d+%</div>', page, re.S)
    assert "Room count not set" not in page


def test_the_demo_hotel_has_a_menu_in_idr_and_a_knowledge_base_once(settings) -> None:
    settings.WAHA_BASE_URL = None
    call_command("seed_demo")
    call_command("seed_demo")

    tenant = Tenant.objects.get()
    items = MenuItem.objects.filter(tenant=tenant)
    assert items.count() == len(MENU) and items.filter(name="Nasi Goreng").exists()
    topics = set(KnowledgeEntry.objects.filter(tenant=tenant).values_list("topic", flat=True))
    assert {
        "pool",
        "breakfast",
        "checkout",
        "late-checkout",
        "airport-shuttle",
        "wifi",
        "spa",
    } <= topics
    staff = Client()
    staff.force_login(User.objects.get(email="frontdesk@demo.innbox.test"))
    assert "IDR\xa065,000" in staff.get("/settings/menu/").content.decode()


def test_the_demo_accounts_need_no_email_confirmation(settings) -> None:
    """Their .test addresses receive no mail: the demo owner can log in and work at once."""
    settings.WAHA_BASE_URL = None
    call_command("seed_demo")
    for email in ("owner@demo.innbox.test", "frontdesk@demo.innbox.test"):
        assert User.objects.get(email=email).email_verified, email
    client = Client()
    response = client.post(
        "/login/", {"username": "owner@demo.innbox.test", "password": "innbox-demo-2026"}
    )
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_demo_inbox_shows_a_guest_the_concierge_served(settings) -> None:
    """make run's inbox is not empty: an in-house guest ordered dinner and asked for towels on
    WhatsApp, and the concierge's tools wrote the order and the request for their room."""
    settings.WAHA_BASE_URL = None
    call_command("seed_demo")
    call_command("seed_demo")  # once

    [conversation] = Conversation.objects.all()
    guest, stay = conversation.guest, conversation.reservation
    assert stay.status == "on-stay" and stay.guest == guest
    ordered = RoomServiceOrder.objects.filter(reservation=stay)
    assert ordered.exists() and ordered.first().room_number == stay.room_number
    assert HousekeepingRequest.objects.filter(reservation=stay, request_type="towels").exists()
    answers = MessageLog.objects.filter(origin="agent", chat_id=conversation.chat_id)
    assert answers.count() >= 3
    assert ConversationNote.objects.filter(conversation=conversation, kind="system").exists()
    owner = Client()
    owner.force_login(User.objects.get(email="owner@demo.innbox.test"))
    page = owner.get(f"/inbox/{conversation.public_id}/").content.decode()
    assert "nasi goreng" in page.lower()
    side_panel = page.split('id="conversation-details"', 1)[1]
    assert "2 × Nasi Goreng" in side_panel and "Towels" in side_panel


def test_the_demo_feedback_page_shows_recent_guests_answers(settings) -> None:
    settings.WAHA_BASE_URL = None
    call_command("seed_demo")
    call_command("seed_demo")  # answers once

    owner = Client()
    owner.force_login(User.objects.get(email="owner@demo.innbox.test"))
    page = owner.get("/feedback/?days=365").content.decode()
    assert "No answers in this period" not in page
    assert "10 answers" in page
    assert "The room smelled of smoke" in page
