"""Templates, language choice, manual send and the message log, through the real views."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from automation import queue
from automation.models import AutomationJob
from hotel.models import Guest
from messaging import services
from messaging.defaults import DEFAULT_TEMPLATES, seed_default_templates
from messaging.models import (
    MessageLog,
    MessageStatus,
    MessageTemplate,
    MessageTemplateVariant,
    Trigger,
)
from tests import factories
from whatsapp import sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotel(hotel_a: factories.Hotel) -> factories.Hotel:
    seed_default_templates(hotel_a.tenant)
    return hotel_a


@pytest.fixture
def staff(client: Client, hotel: factories.Hotel) -> Client:
    client.force_login(hotel.staff)
    return client


@pytest.fixture
def owner(hotel: factories.Hotel) -> Client:
    client = Client()
    client.force_login(hotel.owner)
    return client


def template(hotel: factories.Hotel, trigger: str = Trigger.PRE_ARRIVAL) -> MessageTemplate:
    return MessageTemplate.objects.get(tenant=hotel.tenant, trigger=trigger)


# --- defaults and language choice ----------------------------------------------------------


def test_a_hotel_starts_with_english_and_indonesian_texts_for_every_trigger(hotel) -> None:
    for trigger in DEFAULT_TEMPLATES:
        languages = set(template(hotel, trigger).variants.values_list("language_code", flat=True))
        assert {"en", "id"} <= languages


def test_a_new_hotel_created_in_onboarding_gets_the_defaults(client: Client) -> None:
    client.force_login(factories.make_user("founder-"))
    client.post(
        "/onboarding/create-tenant/",
        {"name": "Villa Baru", "time_zone": "Asia/Jakarta", "default_language": "id"},
    )
    # Every touchpoint of the journey, in English and Indonesian, switched on.
    assert MessageTemplateVariant.objects.count() == 12
    assert set(MessageTemplate.objects.values_list("trigger", "is_active")) == {
        (trigger, True) for trigger in Trigger.values
    }


def test_language_choice_guest_then_hotel_default_then_any(hotel) -> None:
    pre_arrival = template(hotel)
    MessageTemplateVariant.objects.create(
        template=pre_arrival, language_code="ja", content="こんにちは"
    )

    assert services.choose_variant(pre_arrival, "ja", "en").language_code == "ja"
    assert services.choose_variant(pre_arrival, "fr", "id").language_code == "id"
    pre_arrival.variants.filter(language_code__in=["en", "id"]).delete()
    assert services.choose_variant(pre_arrival, "fr", "id").language_code == "ja"


def test_an_inactive_variant_is_skipped(hotel) -> None:
    pre_arrival = template(hotel)
    pre_arrival.variants.filter(language_code="id").update(is_active=False)

    assert services.choose_variant(pre_arrival, "id", "id").language_code == "en"
    pre_arrival.variants.update(is_active=False)
    assert services.choose_variant(pre_arrival, "id", "en") is None


def test_the_chosen_language_is_recorded_on_the_log(hotel, settings) -> None:
    settings.WAHA_BASE_URL = None  # sandbox
    message = services.send_manual(
        hotel.tenant, reservation=hotel.reservation, guest=None, trigger=Trigger.PRE_ARRIVAL
    )
    assert message.language_code == "id"  # the guest's language
    assert message.body.startswith("Halo Ana")


# --- the templates page ----------------------------------------------------------------------


def test_saving_a_text_with_an_unknown_variable_names_it_and_changes_nothing(
    owner: Client, hotel
) -> None:
    variant = template(hotel).variants.get(language_code="en")
    response = owner.post(
        f"/settings/templates/variants/{variant.public_id}/",
        {"content": "Hi {{guestFirstName}}!", "is_active": "on"},
    )
    assert response.status_code == 400
    assert "{{guestFirstName}}" in response.content.decode()
    variant.refresh_from_db()
    assert "guestFirstName" not in variant.content


def test_owners_edit_add_and_delete_texts(owner: Client, hotel) -> None:
    pre_arrival = template(hotel)
    variant = pre_arrival.variants.get(language_code="en")
    owner.post(
        f"/settings/templates/variants/{variant.public_id}/",
        {"content": "See you, {{guestName}}!", "is_active": "on"},
    )
    variant.refresh_from_db()
    assert variant.content == "See you, {{guestName}}!"

    owner.post(
        f"/settings/templates/{pre_arrival.public_id}/add/",
        {"language_code": "DE", "content": "Bis bald, {{guestName}}!", "is_active": "on"},
    )
    german = pre_arrival.variants.get(language_code="de")
    duplicate = owner.post(
        f"/settings/templates/{pre_arrival.public_id}/add/", {"language_code": "de", "content": "x"}
    )
    assert "already has a de variant" in duplicate.content.decode()
    not_a_language = owner.post(
        f"/settings/templates/{pre_arrival.public_id}/add/", {"language_code": "zz", "content": "x"}
    )
    assert "not a language code" in not_a_language.content.decode()

    owner.post(f"/settings/templates/variants/{german.public_id}/delete/")
    assert not pre_arrival.variants.filter(language_code="de").exists()


def test_the_preview_renders_with_a_real_reservation_and_whatsapp_formatting(
    owner: Client, hotel
) -> None:
    response = owner.post(
        "/settings/templates/preview/",
        {
            "trigger": "on-stay",
            "content": "*Welcome* {{guestName}}, room {{roomNumber}} <b>",
            "language": "en",
            "reservation": str(hotel.reservation.public_id),
        },
    )
    html = response.content.decode()
    assert "<strong>Welcome</strong> Ana Guest" in html
    assert "room 101" in html
    assert "&lt;b&gt;" in html, "template text is escaped, never markup"
    assert "characters" in html


def test_the_preview_points_out_an_unknown_variable_while_typing(owner: Client, hotel) -> None:
    response = owner.post(
        "/settings/templates/preview/", {"trigger": "on-stay", "content": "Hi {{nme}}"}
    )
    assert "Unknown variable: {{nme}}" in response.content.decode()


def test_staff_can_neither_open_nor_change_templates(staff: Client, hotel) -> None:
    pre_arrival = template(hotel)
    variant = pre_arrival.variants.get(language_code="en")
    before = variant.content

    page = staff.get("/settings/templates/")
    assert page.status_code == 403 and "Owners only" in page.content.decode()
    for url, data in [
        (f"/settings/templates/variants/{variant.public_id}/", {"content": "Changed"}),
        (f"/settings/templates/variants/{variant.public_id}/delete/", {}),
        (f"/settings/templates/{pre_arrival.public_id}/add/", {"language_code": "de"}),
        (f"/settings/templates/{pre_arrival.public_id}/toggle/", {}),
    ]:
        assert staff.post(url, data).status_code == 403, url
    variant.refresh_from_db()
    pre_arrival.refresh_from_db()
    assert (variant.content, pre_arrival.is_active) == (before, True)
    assert 'href="/settings/templates/"' not in staff.get("/").content.decode()


# --- manual send -----------------------------------------------------------------------------


@pytest.fixture
def connected(hotel, fake_waha, settings) -> factories.Hotel:
    settings.APP_URL = "http://127.0.0.1:9"
    settings.WAHA_MIN_GAP_SECONDS = settings.WAHA_MAX_GAP_SECONDS = 0
    sessions.connect(hotel.tenant)
    deadline = time.monotonic() + 5
    while fake_waha.sessions["default"].status != "SCAN_QR_CODE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fake_waha.pair("default")
    sessions.refresh(hotel.tenant)
    return hotel


def test_a_manual_send_goes_out_once_and_its_delivery_follows_the_ack(
    staff: Client, connected, fake_waha, settings
) -> None:
    response = staff.post(
        "/api/messages/send/",
        {"reservation": str(connected.reservation.public_id), "trigger": "on-stay"},
        HTTP_ACCEPT="application/json",
    )

    # Accepted into the queue: the worker sends it, paced like every other message.
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert fake_waha.sent_texts == []
    assert queue.run_once() == 1
    assert queue.run_once() == 0

    assert len(fake_waha.sent_texts) == 1
    assert fake_waha.sent_texts[0]["text"].startswith("Selamat datang di Hotel Alpha, Ana")
    log = MessageLog.objects.get()
    assert log.status == MessageStatus.SENT and log.origin == "manual"
    assert str(log.public_id) == response.json()["id"]
    assert log.waha_message_id.startswith("true_")

    # WAHA reports delivery: the log follows.
    settings.APP_URL = "http://testserver"
    body = fake_waha_ack_body(log.waha_message_id)
    webhook = post_signed(staff, body, settings.WAHA_WEBHOOK_HMAC_KEY)
    assert webhook.status_code == 200
    log.refresh_from_db()
    assert log.status == MessageStatus.DELIVERED


def fake_waha_ack_body(message_id: str) -> bytes:
    import json

    return json.dumps(
        {
            "id": "evt_manualsend",
            "timestamp": int(time.time() * 1000),
            "event": "message.ack",
            "session": "default",
            "engine": "NOWEB",
            "payload": {
                "id": message_id,
                "from": "6281100001111@c.us",
                "fromMe": True,
                "ack": 2,
                "ackName": "DEVICE",
            },
        }
    ).encode()


def post_signed(client: Client, body: bytes, key: str):
    import hashlib
    import hmac

    signature = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    return Client().post(
        "/api/webhooks/waha/", body, content_type="application/json", HTTP_X_WEBHOOK_HMAC=signature
    )


def test_free_text_is_rendered_and_sent(staff: Client, hotel, settings) -> None:
    settings.WAHA_BASE_URL = None
    response = staff.post(
        "/api/messages/send/",
        {
            "guest": str(hotel.guest.public_id),
            "text": "Your room {{roomNumber}} is ready!",
            "next": "/messages/",
        },
    )
    assert response["Location"] == "/messages/"
    assert "Message queued" in staff.get("/messages/").content.decode()
    queue.run_once()
    log = MessageLog.objects.get()
    assert log.body == "Your room your room is ready!"  # no reservation chosen: the fallback
    assert log.status == MessageStatus.SENT and log.guest == hotel.guest


def test_a_failed_send_is_logged_with_its_reason_and_retried(
    staff: Client, connected, fake_waha
) -> None:
    fake_waha.fail("POST", "/api/sendText", status=500)
    response = staff.post(
        "/api/messages/send/",
        {"reservation": str(connected.reservation.public_id), "trigger": "on-stay"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 202
    queue.run_once()
    log = MessageLog.objects.get()
    assert log.status == MessageStatus.FAILED and "500" in log.failure_reason
    assert AutomationJob.objects.get().status == "retrying"


def test_a_manual_send_over_the_rate_limit_waits_for_its_turn(
    staff: Client, connected, fake_waha, settings
) -> None:
    settings.AUTOMATION_SENDS_PER_MINUTE = 1
    for _ in range(2):
        staff.post(
            "/api/messages/send/",
            {"reservation": str(connected.reservation.public_id), "text": "Towels are on the way"},
        )
    queue.run_once()

    assert len(fake_waha.sent_texts) == 1
    waiting = AutomationJob.objects.get(status="queued")
    assert waiting.attempts == 0 and waiting.run_at > waiting.created_at  # deferred, not failed
    assert list(MessageLog.objects.values_list("status", flat=True).order_by("pk")) == [
        "sent",
        "queued",
    ]


def test_a_guest_who_opted_out_gets_nothing(staff: Client, hotel, settings) -> None:
    settings.WAHA_BASE_URL = None
    Guest.objects.filter(pk=hotel.guest.pk).update(opted_out_at="2026-11-01T00:00:00Z")
    response = staff.post(
        "/api/messages/send/",
        {"guest": str(hotel.guest.public_id), "trigger": "on-stay"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "opted out" in response.json()["error"]
    assert not MessageLog.objects.exists()


# --- the log and timelines -------------------------------------------------------------------


def test_the_log_filters_and_searches_and_timelines_show_the_same_entries(
    staff: Client, hotel, hotel_b, settings
) -> None:
    settings.WAHA_BASE_URL = None
    seed_default_templates(hotel_b.tenant)
    services.send_manual(hotel.tenant, reservation=hotel.reservation, guest=None, trigger="on-stay")
    services.send_manual(
        hotel_b.tenant, reservation=hotel_b.reservation, guest=None, trigger="on-stay"
    )
    queue.run_once()

    page = staff.get("/messages/").content.decode()
    assert "Selamat datang di Hotel Alpha" in page and "Hotel Bravo" not in page
    assert "Selamat datang" in staff.get("/messages/?status=sent&origin=manual").content.decode()
    assert "Selamat datang" not in staff.get("/messages/?status=failed").content.decode()
    assert "Selamat datang" in staff.get(f"/messages/?q={hotel.guest.last_name}").content.decode()
    assert "Selamat datang" not in staff.get("/messages/?q=nobody-by-that-name").content.decode()
    assert (
        "Selamat datang di Hotel Alpha"
        in staff.get(f"/reservations/{hotel.reservation.public_id}/").content.decode()
    )
    assert (
        "Selamat datang di Hotel Alpha"
        in staff.get(f"/guests/{hotel.guest.public_id}/").content.decode()
    )


# --- isolation -------------------------------------------------------------------------------


def test_it_hides_other_tenants_records(
    staff: Client, owner: Client, hotel, hotel_b, settings
) -> None:
    settings.WAHA_BASE_URL = None
    seed_default_templates(hotel_b.tenant)
    theirs = template(hotel_b)
    their_variant = theirs.variants.get(language_code="en")

    assert staff.get(f"/reservations/{hotel_b.reservation.public_id}/").status_code == 404
    assert staff.get(f"/guests/{hotel_b.guest.public_id}/").status_code == 404
    assert (
        owner.post(
            f"/settings/templates/variants/{their_variant.public_id}/", {"content": "pwned"}
        ).status_code
        == 404
    )
    assert (
        owner.post(f"/settings/templates/variants/{their_variant.public_id}/delete/").status_code
        == 404
    )
    assert (
        owner.post(
            f"/settings/templates/{theirs.public_id}/add/", {"language_code": "fr", "content": "x"}
        ).status_code
        == 404
    )
    assert owner.post(f"/settings/templates/{theirs.public_id}/toggle/").status_code == 404
    assert (
        owner.post(
            "/settings/templates/preview/",
            {"content": "x", "reservation": str(hotel_b.reservation.public_id)},
        ).status_code
        == 404
    )
    assert (
        staff.post(
            "/api/messages/preview/",
            {"reservation": str(hotel_b.reservation.public_id), "trigger": "on-stay"},
        ).status_code
        == 404
    )
    assert (
        staff.post(
            "/api/messages/send/",
            {"reservation": str(hotel_b.reservation.public_id), "trigger": "on-stay"},
        ).status_code
        == 404
    )
    their_variant.refresh_from_db()
    assert their_variant.content != "pwned"
    assert not MessageLog.objects.exists()


def test_badly_formed_ids_are_404_not_500(staff: Client, owner: Client, hotel) -> None:
    assert (
        owner.post(
            "/settings/templates/preview/", {"content": "x", "reservation": "nope"}
        ).status_code
        == 404
    )
    for url, data in [
        ("/api/messages/preview/", {"reservation": "nope", "trigger": "on-stay"}),
        ("/api/messages/preview/", {"guest": "nope", "trigger": "on-stay"}),
        ("/api/messages/send/", {"reservation": "nope", "trigger": "on-stay"}),
    ]:
        assert staff.post(url, data).status_code == 404, (url, data)
    # Naming nobody is a malformed request, not a missing record: a 400 that says so.
    assert staff.post("/api/messages/send/", {}).status_code == 400


def test_another_hotels_guest_cannot_be_messaged(staff: Client, hotel, hotel_b, settings) -> None:
    settings.WAHA_BASE_URL = None
    for url in ("/api/messages/preview/", "/api/messages/send/"):
        assert (
            staff.post(url, {"guest": str(hotel_b.guest.public_id), "text": "Hi"}).status_code
            == 404
        )
    assert not MessageLog.objects.exists()


def test_the_why_filter_leaves_other_messages_out(staff: Client, hotel, settings) -> None:
    settings.WAHA_BASE_URL = None
    services.send_manual(hotel.tenant, reservation=hotel.reservation, guest=None, trigger="on-stay")
    assert "Selamat datang" not in staff.get("/messages/?origin=pre-arrival").content.decode()
    assert "Selamat datang" not in staff.get("/messages/?origin=inbound").content.decode()
    assert "Selamat datang" in staff.get(f"/messages/?q={hotel.guest.full_name}").content.decode()


def test_a_chosen_template_wins_over_leftover_typed_text(staff: Client, hotel, settings) -> None:
    settings.WAHA_BASE_URL = None
    staff.post(
        "/api/messages/send/",
        {
            "reservation": str(hotel.reservation.public_id),
            "trigger": "on-stay",
            "text": "leftover draft",
        },
    )
    assert MessageLog.objects.get().body.startswith("Selamat datang")


def test_a_manual_post_stay_message_carries_a_fresh_feedback_link(
    staff: Client, hotel, settings
) -> None:
    settings.WAHA_BASE_URL = None
    response = staff.post(
        "/api/messages/send/",
        {"reservation": str(hotel.reservation.public_id), "trigger": "post-stay"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 202
    assert "/feedback/" in MessageLog.objects.get().body
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_status == "pending"


@pytest.mark.parametrize("written", ["ID", "id-ID", "id_ID", " id "])
def test_guest_languages_are_understood_however_the_pms_writes_them(hotel, written: str) -> None:
    assert services.choose_variant(template(hotel), written, "en").language_code == "id"
