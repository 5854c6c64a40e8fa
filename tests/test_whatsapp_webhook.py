"""POST /api/webhooks/waha/: authentic events are applied once; anything else changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, InboundEvent
from conversations import turns
from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog, MessageStatus
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import django_connected_as
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/waha/"


@pytest.fixture(autouse=True)
def hmac_key(settings: Any) -> None:
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC


@pytest.fixture
def hotel(hotel_a: factories.Hotel) -> factories.Hotel:
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status=SessionStatus.WORKING
    )
    return hotel_a


def envelope(
    event: str, payload: dict[str, Any], *, session: str = "default", legacy: bool = False
) -> dict:
    body: dict[str, Any] = {
        "event": event,
        "session": session,
        "payload": payload,
        "engine": "NOWEB",
    }
    if not legacy:
        body["id"] = "evt_" + secrets.token_hex(13)
        body["timestamp"] = int(time.time() * 1000)
    return body


HOTEL_NUMBER = "6281100001111@c.us"


def message(
    from_chat: str, text: str, *, from_me: bool = False, source: str = "api"
) -> dict[str, Any]:
    """A WAHA message payload in `from_chat`: the guest's, or (from_me) the hotel's own in the
    guest's chat: sent through the API (source "api") or typed on the phone ("app")."""
    return {
        "id": f"{str(from_me).lower()}_{from_chat}_{secrets.token_hex(8).upper()}",
        "timestamp": int(time.time()),
        "from": HOTEL_NUMBER if from_me else from_chat,
        "fromMe": from_me,
        "source": source if from_me else "app",
        "to": from_chat if from_me else HOTEL_NUMBER,
        "body": text,
        "hasMedia": False,
    }


def post(
    client: Client,
    body: dict | bytes,
    *,
    key: str | None = WAHA_TEST_HMAC,
    timestamp_ms: int | None = None,
    signature: str | None = None,
):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers: dict[str, str] = {}
    if key is not None:
        headers["HTTP_X_WEBHOOK_HMAC"] = (
            signature or hmac.new(key.encode(), raw, hashlib.sha512).hexdigest()
        )
        headers["HTTP_X_WEBHOOK_HMAC_ALGORITHM"] = "sha512"
    if timestamp_ms is not False:
        headers["HTTP_X_WEBHOOK_TIMESTAMP"] = str(timestamp_ms or int(time.time() * 1000))
    return client.post(URL, raw, content_type="application/json", **headers)


def nothing_stored() -> bool:
    return not InboundEvent.objects.exists() and not MessageLog.objects.exists()


# --- refusals --------------------------------------------------------------------------------


def test_a_missing_signature_is_refused_and_nothing_is_stored(client: Client, hotel) -> None:
    response = post(client, envelope("message", message("6281234567890@c.us", "Hi")), key=None)
    assert response.status_code == 401
    assert nothing_stored()


def test_a_wrong_signature_is_refused_and_nothing_is_stored(client: Client, hotel) -> None:
    response = post(
        client, envelope("message", message("6281234567890@c.us", "Hi")), key="another-key"
    )
    assert response.status_code == 401
    assert nothing_stored()


def test_an_old_timestamp_is_refused(client: Client, hotel) -> None:
    stale = int((time.time() - 3600) * 1000)
    response = post(
        client, envelope("message", message("6281234567890@c.us", "Hi")), timestamp_ms=stale
    )
    assert response.status_code == 400
    assert nothing_stored()


def test_malformed_json_is_refused(client: Client, hotel) -> None:
    assert post(client, b'{"event": "message", ').status_code == 400
    assert post(client, json.dumps({"event": "message"}).encode()).status_code == 400
    assert nothing_stored()


def test_a_malformed_payload_is_refused(client: Client, hotel) -> None:
    response = post(client, envelope("message.ack", {"id": "x"}))  # no ack value
    assert response.status_code == 400
    assert nothing_stored()


def test_an_oversized_body_is_refused(client: Client, hotel, settings) -> None:
    settings.WAHA_WEBHOOK_MAX_BODY_BYTES = 1000
    response = post(client, envelope("message", message("6281234567890@c.us", "x" * 2000)))
    assert response.status_code == 413
    assert nothing_stored()


def test_an_unknown_session_is_answered_but_stores_nothing(client: Client, hotel) -> None:
    response = post(
        client, envelope("message", message("6281234567890@c.us", "Hi"), session="other")
    )
    assert response.status_code == 200
    assert nothing_stored()


# --- guest messages ---------------------------------------------------------------------------


def test_a_guest_message_is_stored_and_matched_by_phone(client: Client, hotel) -> None:
    phone = hotel.guest.phone_e164
    response = post(
        client, envelope("message", message(f"{phone.lstrip('+')}@c.us", "Jam berapa sarapan?"))
    )

    assert response.status_code == 200
    stored = MessageLog.objects.get()
    assert (stored.direction, stored.status, stored.guest, stored.body) == (
        Direction.INBOUND,
        MessageStatus.RECEIVED,
        hotel.guest,
        "Jam berapa sarapan?",
    )
    assert stored.reservation == hotel.reservation
    assert stored.staff_read_at is None


def test_the_same_event_twice_changes_state_once(client: Client, hotel) -> None:
    event = envelope("message", message("6281234567890@c.us", "Hello"))
    received: list[object] = []
    # Whoever answers guests hears of a message through the turn job the webhook writes with it.
    saved = list(turns.RESPONDERS)
    turns.register_responder(lambda turn: received.append(turn.text))  # type: ignore[func-returns-value]
    try:
        assert post(client, event).status_code == 200
        second = post(client, event)
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
            while queue.run_once():
                pass
    finally:
        turns.RESPONDERS[:] = saved

    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert MessageLog.objects.count() == 1 and InboundEvent.objects.count() == 1
    assert len(received) == 1, "the agent hook hears each guest message once"


def test_an_old_server_without_envelope_id_is_deduplicated_by_message_id(
    client: Client, hotel
) -> None:
    event = envelope("message", message("6281234567890@c.us", "Hello"), legacy=True)
    assert post(client, event, timestamp_ms=False).json()["status"] == "stored"
    assert post(client, event, timestamp_ms=False).json()["status"] == "duplicate"
    assert MessageLog.objects.count() == 1 and InboundEvent.objects.count() == 1


def test_our_own_echo_and_group_messages_are_not_guest_messages(client: Client, hotel) -> None:
    post(client, envelope("message", message("6281234567890@c.us", "Our own", from_me=True)))
    post(client, envelope("message", message("120363000000@g.us", "A group")))
    assert not MessageLog.objects.exists()


def test_a_hidden_lid_sender_is_mapped_to_the_guests_phone(
    client: Client, hotel, fake_waha
) -> None:
    fake_waha.sessions["default"] = fake_waha_session("default", status="WORKING")
    fake_waha.lids["99887766@lid"] = f"{hotel.guest.phone_e164.lstrip('+')}@c.us"

    post(client, envelope("message", message("99887766@lid", "Hi from a lid")))

    assert MessageLog.objects.get().guest == hotel.guest


def fake_waha_session(name: str, status: str):
    from tests.fake_waha import Session

    return Session(name=name, config={}, status=status)


def stay_link_text(client: Client, hotel: factories.Hotel) -> str:
    """The text the guest's WhatsApp opens with, as a member finds it on the reservation page."""
    WahaConfiguration.objects.filter(tenant=hotel.tenant).update(phone_number="+6281100001111")
    client.force_login(hotel.staff)
    page = client.get(f"/reservations/{hotel.reservation.public_id}/").content.decode()
    client.logout()
    link = re.search(r'href="(https://wa\.me/6281100001111\?text=[^"]+)"', page)
    assert link, "the reservation page offers the guest's own WhatsApp link"
    return parse_qs(urlsplit(html.unescape(link.group(1))).query)["text"][0]


def test_a_booking_code_from_an_unknown_number_reaches_staff_but_links_nothing(
    client: Client, hotel
) -> None:
    stranger = "6287700001234@c.us"  # not the phone the PMS gave us
    code = hotel.reservation.booking_code

    response = post(
        client, envelope("message", message(stranger, f"Hi! My booking code is {code.lower()}"))
    )

    assert response.status_code == 200 and response.json()["status"] == "stored"
    stored = MessageLog.objects.get()
    assert (stored.direction, stored.chat_id) == (Direction.INBOUND, stranger)
    assert code.lower() in stored.body
    assert (stored.guest, stored.reservation) == (None, None)
    guest = Guest.objects.get(pk=hotel.guest.pk)
    assert guest.phone_e164 == hotel.guest.phone_e164
    assert (guest.whatsapp_chat_id, guest.consent_at, guest.consent_source) == ("", None, "")


def test_the_stays_link_links_an_unknown_number_to_the_reservation(client: Client, hotel) -> None:
    stranger = "6287700001234@c.us"
    text = stay_link_text(client, hotel)
    assert hotel.reservation.chat_token in text

    post(client, envelope("message", message(stranger, text)))

    stored = MessageLog.objects.get()
    assert (stored.reservation, stored.guest) == (hotel.reservation, hotel.guest)
    guest = Guest.objects.get(pk=hotel.guest.pk)
    assert guest.whatsapp_chat_id == stranger
    assert guest.phone_e164 == hotel.guest.phone_e164  # the PMS's number is not replaced
    assert guest.consent_at is not None and guest.consent_source == "whatsapp_chat_token"


def test_another_hotels_chat_token_links_nothing(client: Client, hotel, hotel_b) -> None:
    token = hotel_b.reservation.chat_token
    post(client, envelope("message", message("6287700001234@c.us", f"Hi! (ref: {token})")))

    stored = MessageLog.objects.get()
    assert (stored.tenant, stored.guest, stored.reservation) == (hotel.tenant, None, None)
    other = Guest.objects.get(pk=hotel_b.guest.pk)
    assert (other.whatsapp_chat_id, other.consent_at) == ("", None)


def one_off(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    "guess",
    [
        lambda stay: f"ref: {stay.chat_token[:8]}",
        lambda stay: f"ref: {stay.chat_token[:-1]}",
        lambda stay: f"ref: {one_off(stay.chat_token)}",
        lambda stay: f"ref: {stay.chat_token.swapcase()}",
        lambda stay: f"ref: {secrets.token_urlsafe(12)}",
        lambda stay: f"ref: {stay.booking_code}",
    ],
    ids=["short", "truncated", "one-off", "swapped-case", "random", "booking-code"],
)
def test_a_guessed_chat_token_links_nothing(client: Client, hotel, guess) -> None:
    text = guess(hotel.reservation)
    post(client, envelope("message", message("6287700001234@c.us", f"Hi! ({text})")))

    stored = MessageLog.objects.get()
    assert (stored.guest, stored.reservation) == (None, None)
    guest = Guest.objects.get(pk=hotel.guest.pk)
    assert (guest.whatsapp_chat_id, guest.consent_at) == ("", None)


def test_a_known_guest_quoting_a_booking_code_files_it_on_that_stay(client: Client, hotel) -> None:
    later = Reservation.objects.create(
        tenant=hotel.tenant,
        guest=hotel.guest,
        pms_reservation_id="R-LATER",
        booking_code="LATER42",
        check_in=hotel.reservation.check_in + dt.timedelta(days=30),
        check_out=hotel.reservation.check_in + dt.timedelta(days=32),
    )
    own_chat = f"{hotel.guest.phone_e164.lstrip('+')}@c.us"

    post(client, envelope("message", message(own_chat, "About booking later42, please")))

    stored = MessageLog.objects.get()
    assert (stored.guest, stored.reservation) == (hotel.guest, later)


def test_a_wrong_booking_code_links_nothing(client: Client, hotel) -> None:
    post(client, envelope("message", message("6287700001234@c.us", "My booking code is NOPE123")))

    stored = MessageLog.objects.get()
    assert (stored.reservation, stored.guest) == (None, None)
    guest = Guest.objects.get(pk=hotel.guest.pk)
    assert guest.whatsapp_chat_id == "" and guest.consent_at is None


def test_another_hotels_booking_code_links_nothing(client: Client, hotel, hotel_b) -> None:
    code = hotel_b.reservation.booking_code
    post(client, envelope("message", message("6287700001234@c.us", f"code {code}")))

    assert MessageLog.objects.get().reservation is None
    assert Reservation.objects.get(pk=hotel_b.reservation.pk).guest.whatsapp_chat_id == ""


# --- delivery acks ----------------------------------------------------------------------------


def outbound(hotel: factories.Hotel, status: str = MessageStatus.SENT) -> MessageLog:
    return MessageLog.objects.create(
        tenant=hotel.tenant,
        direction=Direction.OUTBOUND,
        guest=hotel.guest,
        body="Selamat datang",
        waha_message_id="true_6281234567890@c.us_3EB0AAAA",
        status=status,
    )


def ack(message_id: str, value: int) -> dict:
    names = {-1: "ERROR", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
    return envelope(
        "message.ack",
        {
            "id": message_id,
            "from": "6281100001111@c.us",
            "to": "6281234567890@c.us",
            "fromMe": True,
            "ack": value,
            "ackName": names[value],
        },
    )


def test_acks_move_the_message_forward(client: Client, hotel) -> None:
    sent = outbound(hotel)
    post(client, ack(sent.waha_message_id, 2))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED and sent.delivered_at is not None
    post(client, ack(sent.waha_message_id, 3))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.READ and sent.read_at is not None


def test_a_late_sent_ack_never_undoes_read(client: Client, hotel) -> None:
    sent = outbound(hotel)
    post(client, ack(sent.waha_message_id, 3))
    post(client, ack(sent.waha_message_id, 1))
    post(client, ack(sent.waha_message_id, 2))

    sent.refresh_from_db()
    assert sent.status == MessageStatus.READ


def test_an_error_ack_fails_an_undelivered_message(client: Client, hotel) -> None:
    sent = outbound(hotel)
    post(client, ack(sent.waha_message_id, -1))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED and sent.failure_reason


def test_acks_of_another_hotels_message_change_nothing(client: Client, hotel, hotel_b) -> None:
    theirs = outbound(hotel_b)
    response = post(client, ack(theirs.waha_message_id, 3))
    theirs.refresh_from_db()
    assert theirs.status == MessageStatus.SENT
    assert response.status_code == 409 and not InboundEvent.objects.exists()


def test_an_ack_that_overtakes_its_send_is_retried_not_lost(client: Client, hotel) -> None:
    early = ack("true_6281234567890@c.us_3EB0AAAA", 2)

    assert post(client, early).status_code == 409  # WAHA will deliver it again
    assert not InboundEvent.objects.exists()
    sent = outbound(hotel)  # the sender records its message id
    assert post(client, early).status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED


# --- session status ---------------------------------------------------------------------------


def test_session_status_updates_the_connection(client: Client, hotel) -> None:
    event = envelope("session.status", {"name": "default", "status": "FAILED", "statuses": []})
    post(client, event)
    assert WahaConfiguration.objects.get().status == SessionStatus.FAILED

    working = envelope("session.status", {"name": "default", "status": "WORKING", "statuses": []})
    working["me"] = {"id": "6281100001111@c.us", "pushName": "Hotel Alpha"}
    post(client, working)
    config = WahaConfiguration.objects.get()
    assert (config.status, config.phone_number, config.push_name) == (
        SessionStatus.WORKING,
        "+6281100001111",
        "Hotel Alpha",
    )


def test_an_unknown_session_state_is_kept_as_unknown(client: Client, hotel) -> None:
    post(client, envelope("session.status", {"name": "default", "status": "SOMETHING_NEW"}))
    assert WahaConfiguration.objects.get().status == SessionStatus.UNKNOWN


def test_an_old_server_reporting_failed_twice_is_heard_twice(client: Client, hotel) -> None:
    failed = envelope("session.status", {"name": "default", "status": "FAILED"}, legacy=True)
    working = envelope("session.status", {"name": "default", "status": "WORKING"}, legacy=True)
    for event in (failed, working, failed):
        assert post(client, event, timestamp_ms=False).status_code == 200
    assert WahaConfiguration.objects.get().status == SessionStatus.FAILED


def test_webhooks_are_refused_when_no_signing_key_is_configured(
    client: Client, hotel, settings
) -> None:
    settings.WAHA_WEBHOOK_HMAC_KEY = ""
    response = post(client, envelope("message", message("6281234567890@c.us", "Hi")), key="any")
    assert response.status_code == 401
    assert nothing_stored()


def test_a_garbled_signature_header_is_refused_not_crashed(client: Client, hotel) -> None:
    event = envelope("message", message("6281234567890@c.us", "Hi"))
    assert post(client, event, signature="caf\u00e9").status_code == 401


def test_an_old_signed_envelope_is_refused_even_without_the_header(client: Client, hotel) -> None:
    replay = envelope("message", message("6281234567890@c.us", "Hi"))
    replay["timestamp"] = int((time.time() - 30 * 86400) * 1000)  # signed, a month old
    assert post(client, replay, timestamp_ms=False).status_code == 400
    no_time = envelope("message", message("6281234567890@c.us", "Hi"))
    del no_time["timestamp"]
    assert post(client, no_time, timestamp_ms=False).status_code == 400
    assert nothing_stored()


def test_a_late_status_event_does_not_undo_a_newer_one(client: Client, hotel) -> None:
    now_ms = int(time.time() * 1000)
    working = envelope(
        "session.status",
        {
            "name": "default",
            "status": "WORKING",
            "statuses": [{"status": "WORKING", "timestamp": now_ms}],
        },
    )
    late_qr = envelope(
        "session.status",
        {
            "name": "default",
            "status": "SCAN_QR_CODE",
            "statuses": [{"status": "SCAN_QR_CODE", "timestamp": now_ms - 5000}],
        },
    )
    post(client, working)
    post(client, late_qr)  # a retry of an older event, delivered after the newer one
    assert WahaConfiguration.objects.get().status == SessionStatus.WORKING


def test_a_forwarded_stay_link_does_not_move_a_guest_who_already_has_a_chat(
    client: Client, hotel
) -> None:
    Guest.objects.filter(pk=hotel.guest.pk).update(whatsapp_chat_id="6281200000000@c.us")
    text = stay_link_text(client, hotel)

    post(client, envelope("message", message("6287700001234@c.us", text)))

    guest = Guest.objects.get(pk=hotel.guest.pk)
    assert guest.whatsapp_chat_id == "6281200000000@c.us" and guest.consent_at is None
    assert MessageLog.objects.get().reservation == hotel.reservation  # staff still see it


# --- malformed but signed: a 4xx naming the problem, nothing stored --------------------------


def status_event(statuses: Any, *, legacy: bool = False) -> dict:
    return envelope(
        "session.status",
        {"name": "default", "status": "WORKING", "statuses": statuses},
        legacy=legacy,
    )


def working_as(me: dict) -> dict:
    event = status_event([])
    event["me"] = me
    return event


def nothing_changed() -> bool:
    config = WahaConfiguration.objects.get()
    return nothing_stored() and config.phone_number == "" and config.status_changed_at is None


GUEST = "6281234567890@c.us"
MALFORMED_WAHA_EVENTS = {
    "nul in the body": (envelope("message", message(GUEST, "Hi\x00")), "NUL"),
    "nul in the sender": (envelope("message", message("62812\x0034567890@c.us", "Hi")), "NUL"),
    "a lone surrogate in the body": (
        envelope("message", message(GUEST, "Hi \ud83d")),
        "surrogate",
    ),
    "nul in the session": (envelope("message", message(GUEST, "Hi"), session="def\x00ault"), "NUL"),
    "a status timestamp of abc": (
        status_event([{"status": "WORKING", "timestamp": "abc"}]),
        "timestamp",
    ),
    "a status timestamp of 1e20": (
        status_event([{"status": "WORKING", "timestamp": 1e20}]),
        "timestamp",
    ),
    "an old server's timestamp of abc": (
        status_event([{"status": "WORKING", "timestamp": "abc"}], legacy=True),
        "timestamp",
    ),
    "an old server's statuses of [1]": (status_event([1], legacy=True), "statuses"),
    "an old server's statuses as a string": (status_event("WORKING", legacy=True), "statuses"),
    "me.id longer than a phone number": (working_as({"id": "6" * 40 + "@c.us"}), "me"),
    "a push name longer than its column": (
        working_as({"id": "6281100001111@c.us", "pushName": "x" * 101}),
        "me",
    ),
    "a message id longer than its column": (
        envelope("message", {**message(GUEST, "Hi"), "id": "x" * 256}),
        "payload.id",
    ),
    "a sender longer than its column": (
        envelope("message", message("6" * 70 + "@c.us", "Hi")),
        "payload.from",
    ),
    "an envelope timestamp of 400 digits": (
        {**envelope("message", message(GUEST, "Hi")), "timestamp": int("9" * 400)},
        "timestamp",
    ),
    "nested 200,000 deep": (None, "nested"),
}


@pytest.mark.parametrize(
    ("body", "named"), MALFORMED_WAHA_EVENTS.values(), ids=MALFORMED_WAHA_EVENTS.keys()
)
def test_a_signed_but_malformed_event_is_refused_by_name(
    client: Client, hotel, body: dict | None, named: str
) -> None:
    raw = json.dumps(body).encode() if body is not None else b"[" * 200_000 + b"]" * 200_000
    response = post(client, raw, timestamp_ms=False if "id" not in (body or {}) else None)
    assert response.status_code == 400, response.content
    assert named in response.json()["error"]
    assert nothing_changed()


def test_a_four_hundred_digit_timestamp_header_is_refused(client: Client, hotel) -> None:
    event = envelope("message", message(GUEST, "Hi"))
    response = post(client, event, timestamp_ms=int("9" * 400))
    assert response.status_code == 400 and "X-Webhook-Timestamp" in response.json()["error"]
    assert nothing_stored()


def test_an_envelope_id_longer_than_255_characters_is_refused_not_cut(
    client: Client, hotel
) -> None:
    first = envelope("message", message(GUEST, "Hello"))
    first["id"] = "evt_" + "x" * 251
    assert post(client, first).status_code == 200

    second = envelope("message", message(GUEST, "A different message"))
    second["id"] = first["id"] + "-second"
    response = post(client, second)

    # Cut to 255 it would have been taken for the first event and answered "duplicate".
    assert response.status_code == 400 and "event id" in response.json()["error"]
    assert list(MessageLog.objects.values_list("body", flat=True)) == ["Hello"]


def test_an_old_servers_derived_event_id_longer_than_255_is_refused(client: Client, hotel) -> None:
    sent = outbound(hotel)
    MessageLog.objects.filter(pk=sent.pk).update(waha_message_id="x" * 255)
    event = envelope("message.ack", {"id": "x" * 255, "ack": 3}, legacy=True)
    response = post(client, event, timestamp_ms=False)
    assert response.status_code == 400 and "event id" in response.json()["error"]
    assert not InboundEvent.objects.exists()


# --- an integrity error in the effects is not a duplicate ------------------------------------


def test_an_integrity_error_in_the_effects_is_not_answered_duplicate(
    hotel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guest message whose effects break a constraint (a genuine database refusal, here a
    message row with an impossible status) is a failure WAHA retries, and not a redelivery: the
    event is not kept, so the next delivery is applied."""
    real_create = MessageLog.objects.get_or_create

    def broken_effect(*args: Any, **kwargs: Any):
        kwargs["defaults"] = {**kwargs["defaults"], "status": "impossible"}
        return real_create(*args, **kwargs)

    event = envelope("message", message(GUEST, "Is breakfast included?"))
    monkeypatch.setattr(MessageLog.objects, "get_or_create", broken_effect)
    failed = post(Client(raise_request_exception=False), event)

    assert failed.status_code >= 500 and b"duplicate" not in failed.content
    assert nothing_stored()

    monkeypatch.undo()
    again = post(Client(), event)
    assert again.status_code == 200 and again.json()["status"] == "stored"
    assert MessageLog.objects.get().body == "Is breakfast included?"


# --- the same on PostgreSQL, as the web app's role -------------------------------------------


@pytest.fixture
def hotel_on_postgres() -> factories.Hotel:
    hotel = factories.make_hotel("Hotel Alpha")
    WahaConfiguration.objects.create(
        tenant=hotel.tenant, session_name="default", status=SessionStatus.WORKING
    )
    return hotel


POSTGRES_WAHA_REFUSALS = {
    **MALFORMED_WAHA_EVENTS,
    "an envelope id of 300 characters": (
        {**envelope("message", message(GUEST, "Hi")), "id": "e" * 300},
        "",
    ),
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("body", "named"), POSTGRES_WAHA_REFUSALS.values(), ids=POSTGRES_WAHA_REFUSALS.keys()
)
def test_malformed_events_are_refused_on_postgres_as_the_app_role(
    hotel_on_postgres, body: dict | None, named: str
) -> None:
    from django.conf import settings

    from tests.helpers import django_connected_as

    raw = json.dumps(body).encode() if body is not None else b"[" * 200_000 + b"]" * 200_000
    with django_connected_as(settings.DB_APP_ROLE):
        response = post(Client(), raw, timestamp_ms=False if "id" not in (body or {}) else None)
    assert response.status_code == 400, response.content
    assert named in response.json()["error"]
    assert nothing_changed()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_integrity_error_in_the_effects_is_not_a_duplicate_on_postgres(
    hotel_on_postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings

    from tests.helpers import django_connected_as

    real_create = MessageLog.objects.get_or_create

    def broken_effect(*args: Any, **kwargs: Any):
        kwargs["defaults"] = {**kwargs["defaults"], "status": "impossible"}
        return real_create(*args, **kwargs)

    event = envelope("message", message(GUEST, "Is breakfast included?"))
    with django_connected_as(settings.DB_APP_ROLE):
        monkeypatch.setattr(MessageLog.objects, "get_or_create", broken_effect)
        failed = post(Client(raise_request_exception=False), event)
        monkeypatch.undo()
        again = post(Client(), event)

    assert failed.status_code >= 500 and b"duplicate" not in failed.content
    assert again.status_code == 200 and again.json()["status"] == "stored"
    assert MessageLog.objects.get().body == "Is breakfast included?"
    assert InboundEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_id_as_long_as_its_column_is_stored_on_postgres(hotel_on_postgres) -> None:
    """WhatsApp ids up to 255 characters are kept whole, and so is the job that tells whoever
    answers guests (its key must not outgrow its own column)."""
    from django.conf import settings

    event = envelope("message", {**message(GUEST, "Halo"), "id": "m" * 255})
    with django_connected_as(settings.DB_APP_ROLE):
        response = post(Client(), event)
    assert response.status_code == 200 and response.json()["status"] == "stored"
    assert MessageLog.objects.get().waha_message_id == "m" * 255
    assert AutomationJob.objects.filter(kind="conversation_turn").count() == 1
