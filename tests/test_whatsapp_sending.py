"""Sending a text for a hotel: sandbox, pacing like a person, and honest health."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from innbox.integrations import IntegrationError
from innbox.phones import InvalidPhoneNumber, chat_id_for, e164_from_chat_id, to_e164
from tests import factories
from whatsapp import sender, sessions
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(hotel_a: factories.Hotel, fake_waha, settings) -> factories.Hotel:
    settings.APP_URL = "http://127.0.0.1:9"  # webhooks from the fake go nowhere in these tests
    sessions.connect(hotel_a.tenant)
    deadline = time.monotonic() + 5
    while fake_waha.sessions["default"].status != "SCAN_QR_CODE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fake_waha.pair("default", phone="+6281100001111", push_name="Hotel Alpha")
    sessions.refresh(hotel_a.tenant)
    return hotel_a


def test_phone_numbers_become_e164_and_chat_ids() -> None:
    assert to_e164("0812-3456-7890", "ID") == "+6281234567890"
    assert to_e164("+44 7911 123456", "ID") == "+447911123456"
    assert chat_id_for("+6281234567890") == "6281234567890@c.us"
    assert e164_from_chat_id("6281234567890@c.us") == "+6281234567890"
    assert e164_from_chat_id("120363@g.us") is None
    for bad in ("12", "hello", "+999 123"):
        with pytest.raises(InvalidPhoneNumber) as caught:
            to_e164(bad, "ID")
        assert caught.value.retryable is False


def test_without_waha_messages_are_recorded_not_sent(hotel_a: factories.Hotel, settings) -> None:
    settings.WAHA_BASE_URL = None

    sent = sender.send_text(hotel_a.tenant, "0812-3456-7890", "Hi")

    assert sent.sandbox and sent.message_id.startswith("sandbox_")
    assert sent.chat_id == "6281234567890@c.us"


def test_a_send_marks_seen_and_types_before_the_text(connected: factories.Hotel, fake_waha) -> None:
    sent = sender.send_text(connected.tenant, "+6281234567890", "Selamat datang di Hotel Alpha!")

    calls = [
        r.path
        for r in fake_waha.received
        if r.path.startswith(("/api/send", "/api/start", "/api/stop", "/api/contacts"))
    ]
    assert calls == [
        "/api/contacts/check-exists",
        "/api/sendSeen",
        "/api/startTyping",
        "/api/stopTyping",
        "/api/sendText",
    ]
    assert sent.message_id.startswith("true_6281234567890@c.us_")


def test_two_sends_are_separated_by_at_least_the_gap(
    connected: factories.Hotel, fake_waha, settings
) -> None:
    sender.send_text(connected.tenant, "+6281234567890", "First")
    sender.send_text(connected.tenant, "+6281234567890", "Second")

    first, second = fake_waha.sent_texts
    assert second["at"] - first["at"] >= settings.WAHA_MIN_GAP_SECONDS
    texts = [r.path for r in fake_waha.received if r.path in ("/api/startTyping", "/api/sendText")]
    assert texts == ["/api/startTyping", "/api/sendText", "/api/startTyping", "/api/sendText"]


def test_pacing_can_be_turned_off(connected: factories.Hotel, fake_waha, settings) -> None:
    settings.WAHA_PACING_ENABLED = False
    sender.send_text(connected.tenant, "+6281234567890", "Hi")
    assert not fake_waha.requests_to("/api/startTyping")


def test_a_number_not_on_whatsapp_fails_for_good(connected: factories.Hotel, fake_waha) -> None:
    fake_waha.not_on_whatsapp.add("6281299999999")
    with pytest.raises(IntegrationError) as caught:
        sender.send_text(connected.tenant, "+6281299999999", "Hi")
    assert (caught.value.code, caught.value.retryable) == ("not_on_whatsapp", False)
    assert not fake_waha.sent_texts
    assert WahaConfiguration.objects.get().consecutive_send_failures == 0


def test_an_invalid_number_fails_before_any_call(connected: factories.Hotel, fake_waha) -> None:
    before = len(fake_waha.received)
    with pytest.raises(InvalidPhoneNumber):
        sender.send_text(connected.tenant, "12", "Hi")
    assert len(fake_waha.received) == before


def test_sending_while_disconnected_is_retryable(hotel_a: factories.Hotel, fake_waha) -> None:
    with pytest.raises(IntegrationError) as caught:
        sender.send_text(hotel_a.tenant, "+6281234567890", "Hi")
    assert (caught.value.code, caught.value.retryable) == ("session_not_ready", True)


def test_consecutive_failures_show_degraded_until_one_success(
    connected: factories.Hotel, fake_waha, settings, client: Client
) -> None:
    settings.WAHA_DEGRADED_AFTER_FAILURES = 3
    fake_waha.fail("POST", "/api/sendText", status=500, times=3)
    for _ in range(3):
        with pytest.raises(IntegrationError):
            sender.send_text(connected.tenant, "+6281234567890", "Hi")

    config = WahaConfiguration.objects.get()
    assert config.status == SessionStatus.WORKING and config.health == "degraded"
    client.force_login(connected.owner)
    assert "WhatsApp is degraded" in client.get("/").content.decode()
    assert "Degraded" in client.get("/settings/waha/").content.decode()

    sender.send_text(connected.tenant, "+6281234567890", "Hi again")

    assert WahaConfiguration.objects.get().health == "connected"
    assert "WhatsApp is degraded" not in client.get("/").content.decode()
