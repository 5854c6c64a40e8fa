"""/settings/waha/ and its endpoints: owners connect and disconnect; staff see the status."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests import factories
from whatsapp.models import WahaConfiguration

pytestmark = pytest.mark.django_db


def wait_for(fake, status: str, session: str = "default") -> None:
    deadline = time.monotonic() + 5
    while session not in fake.sessions or fake.sessions[session].status != status:
        assert time.monotonic() < deadline, f"never reached {status}"
        time.sleep(0.05)


@pytest.fixture
def owner(client: Client, hotel_a: factories.Hotel, settings) -> Client:
    settings.APP_URL = "http://127.0.0.1:9"
    client.force_login(hotel_a.owner)
    return client


def test_connect_creates_the_session_with_the_webhook_innbox_needs(
    owner: Client, fake_waha, settings
) -> None:
    response = owner.post("/api/waha/start/")

    assert response.status_code == 200
    assert response.json()["status"] in ("starting", "scan_qr")
    created = fake_waha.requests_to("/api/sessions")[0].body
    assert created["name"] == "default" and created["start"] is True
    hook = created["config"]["webhooks"][0]
    assert hook["url"] == "http://127.0.0.1:9/api/webhooks/waha/"
    assert set(hook["events"]) == {"message", "message.any", "message.ack", "session.status"}
    assert hook["hmac"] == {"key": settings.WAHA_WEBHOOK_HMAC_KEY}
    assert hook["retries"]["attempts"] > 1
    assert created["config"]["webjs"] == {"tagsEventsOn": True}
    # NOWEB keeps chat history only with its store on: a lost answer is settled from it.
    assert created["config"]["noweb"]["store"]["enabled"] is True


def test_the_qr_code_is_served_while_waiting_for_the_phone(owner: Client, fake_waha) -> None:
    owner.post("/api/waha/start/")
    wait_for(fake_waha, "SCAN_QR_CODE")

    status = owner.get("/api/waha/status/").json()
    qr = owner.get("/api/waha/qr/")

    assert status["status"] == "scan_qr"
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG")


def test_pairing_shows_the_phone_and_disconnect_returns_to_disconnected(
    owner: Client, fake_waha
) -> None:
    owner.post("/api/waha/start/")
    wait_for(fake_waha, "SCAN_QR_CODE")
    fake_waha.pair("default", phone="+6281100001111", push_name="Hotel Alpha")

    status = owner.get("/api/waha/status/").json()
    assert (status["status"], status["phone"], status["name"]) == (
        "connected",
        "+6281100001111",
        "Hotel Alpha",
    )
    page = owner.get("/settings/waha/").content.decode()
    assert "+6281100001111" in page and "wa.me/6281100001111" in page

    assert owner.post("/api/waha/logout/").json()["status"] == "disconnected"
    assert fake_waha.sessions["default"].status == "STOPPED"
    assert not WahaConfiguration.objects.exists()


def test_reconnecting_updates_the_existing_session(owner: Client, fake_waha) -> None:
    owner.post("/api/waha/start/")
    wait_for(fake_waha, "SCAN_QR_CODE")
    owner.post("/api/waha/logout/")

    assert owner.post("/api/waha/start/").status_code == 200
    assert fake_waha.requests_to("/api/sessions/default")[-1].method == "PUT"
    assert fake_waha.requests_to("/api/sessions/default/start")


def test_core_mode_refuses_a_second_hotel_with_the_reason(
    owner: Client, fake_waha, hotel_b
) -> None:
    owner.post("/api/waha/start/")
    other = Client()
    other.force_login(hotel_b.owner)

    refused = other.post("/api/waha/start/")

    assert refused.status_code == 409
    assert "single session" in refused.json()["error"] and "Hotel Alpha" in refused.json()["error"]
    assert not WahaConfiguration.objects.filter(tenant=hotel_b.tenant).exists()
    assert len(fake_waha.requests_to("/api/sessions")) == 1


def test_multi_session_mode_gives_each_hotel_its_own_session(
    owner: Client, fake_waha, hotel_a, hotel_b, settings
) -> None:
    settings.WAHA_MULTI_SESSION = True
    fake_waha.multi_session = True
    other = Client()
    other.force_login(hotel_b.owner)

    assert owner.post("/api/waha/start/").status_code == 200
    assert other.post("/api/waha/start/").status_code == 200

    names = set(WahaConfiguration.objects.values_list("session_name", flat=True))
    assert len(names) == 2 and "default" not in names


def test_staff_see_the_status_but_not_the_settings_and_cannot_change_it(
    client: Client, hotel_a, fake_waha, owner: Client
) -> None:
    owner.post("/api/waha/start/")
    staff = Client()
    staff.force_login(hotel_a.staff)

    page = staff.get("/settings/waha/")
    assert page.status_code == 403
    assert "Owners only" in page.content.decode()
    assert staff.get("/api/waha/status/").status_code == 200
    assert staff.post("/api/waha/start/").status_code == 403
    assert staff.post("/api/waha/logout/").status_code == 403
    assert staff.get("/api/waha/qr/").status_code == 403
    assert staff.post("/settings/waha/pace/", {"sends_per_minute": "20"}).status_code == 403
    assert fake_waha.sessions["default"].status != "STOPPED"


def test_another_hotels_owner_sees_only_their_own_connection(
    owner: Client, fake_waha, hotel_b
) -> None:
    owner.post("/api/waha/start/")
    other = Client()
    other.force_login(hotel_b.owner)

    assert other.get("/api/waha/status/").json()["status"] == "disconnected"
    assert other.get("/api/waha/qr/").status_code == 409
    assert other.post("/api/waha/logout/").json()["status"] == "disconnected"
    assert fake_waha.sessions["default"].status != "STOPPED"


def test_the_sandbox_page_explains_what_is_missing(owner: Client, settings) -> None:
    settings.WAHA_BASE_URL = None
    page = owner.get("/settings/waha/").content.decode()
    assert "Sandbox: messages are not delivered" in page
    assert "WAHA_BASE_URL" in page and "Connect WhatsApp" not in page
    assert owner.post("/api/waha/start/").status_code == 409


def test_an_unreachable_waha_is_shown_not_crashed(owner: Client, fake_waha) -> None:
    owner.post("/api/waha/start/")
    fake_waha.stop()

    page = owner.get("/settings/waha/")

    assert page.status_code == 200
    assert "The WhatsApp server did not answer" in page.content.decode()


def test_the_connection_status_partial_is_served_to_htmx(owner: Client, fake_waha) -> None:
    owner.post("/api/waha/start/")
    wait_for(fake_waha, "SCAN_QR_CODE")
    partial = owner.get("/api/waha/status/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="waha-status"')
    assert "Scan with the hotel's phone" in partial


def test_the_dashboard_shows_unread_guest_messages_until_marked_read(
    owner: Client, hotel_a
) -> None:
    from conversations import services
    from messaging.models import Direction, MessageLog, MessageStatus

    conversation = services.of_guest(hotel_a.tenant, hotel_a.guest, create=True)
    message = MessageLog.objects.create(
        tenant=hotel_a.tenant,
        direction=Direction.INBOUND,
        guest=hotel_a.guest,
        chat_id=conversation.chat_id,
        body="Bisa minta handuk tambahan?",
        status=MessageStatus.RECEIVED,
    )
    services.record_guest_message(hotel_a.tenant, conversation, message)
    page = owner.get("/").content.decode()
    assert "Bisa minta handuk tambahan?" in page

    owner.post("/messages/mark-read/")
    assert "Bisa minta handuk tambahan?" not in owner.get("/").content.decode()


def test_in_core_mode_the_session_is_free_again_after_a_disconnect(
    owner: Client, fake_waha, hotel_b
) -> None:
    owner.post("/api/waha/start/")
    owner.post("/api/waha/logout/")
    other = Client()
    other.force_login(hotel_b.owner)

    assert other.post("/api/waha/start/").status_code == 200
    assert WahaConfiguration.objects.get().tenant == hotel_b.tenant


def test_switching_to_multi_session_renames_the_hotels_session(
    owner: Client, fake_waha, settings
) -> None:
    owner.post("/api/waha/start/")
    settings.WAHA_MULTI_SESSION = True
    fake_waha.multi_session = True

    owner.post("/api/waha/start/")

    assert WahaConfiguration.objects.get().session_name.startswith("innbox-")
