"""POST /api/webhooks/pms/<hotel>/: Standard Webhooks signing; every refusal stores nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.test import Client

from automation.models import AutomationJob, InboundEvent
from hotel.models import Reservation, StatusTransition
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tests import factories
from tests.helpers import EVENT, STAY_END, STAY_START, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(hotel_a: factories.Hotel) -> str:
    config = PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    return pms_webhook.rotate_secret(config)


def nothing_stored() -> bool:
    return (
        not InboundEvent.objects.exists()
        and not Reservation.objects.filter(pms_reservation_id="R-1042").exists()
    )


def test_a_signed_event_is_applied(client: Client, hotel_a, secret) -> None:
    response = post(client, hotel_a, secret)
    assert response.status_code == 200 and response.json()["created"] == 1
    reservation = Reservation.objects.get(tenant=hotel_a.tenant, pms_reservation_id="R-1042")
    assert reservation.guest.first_name == "Siti"


def test_the_same_webhook_id_twice_changes_nothing(client: Client, hotel_a, secret) -> None:
    first = post(client, hotel_a, secret, webhook_id="msg_1")
    checked_in = {**EVENT, "reservation": {**EVENT["reservation"], "status": "on-stay"}}
    second = post(client, hotel_a, secret, checked_in, webhook_id="msg_1")

    assert first.json()["status"] == "applied" and second.json()["status"] == "duplicate"
    assert Reservation.objects.get(pms_reservation_id="R-1042").status == "pre-arrival"
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"signature": "v1,AAAA"}, 401),
        ({"signature": " "}, 401),
        ({"timestamp": int(time.time()) - 600}, 400),
        ({"timestamp": int(time.time()) + 600}, 400),
        ({"raw": b'{"type": "reservation.upserted", '}, 400),
        ({"body": {**EVENT, "reservation": {**EVENT["reservation"], "status": "checked-in"}}}, 400),
        ({"body": {"type": "guest.deleted"}}, 400),
    ],
)
def test_every_refusal_stores_nothing(
    client: Client, hotel_a, secret, kwargs: dict, status: int
) -> None:
    response = post(client, hotel_a, secret, **kwargs)
    assert response.status_code == status, response.content
    assert nothing_stored()


def test_an_oversized_body_is_refused(client: Client, hotel_a, secret, settings) -> None:
    settings.PMS_WEBHOOK_MAX_BODY_BYTES = 100
    assert post(client, hotel_a, secret).status_code == 413
    assert nothing_stored()


def test_an_unknown_hotel_is_404(client: Client, hotel_a, secret) -> None:
    content = json.dumps(EVENT).encode()
    response = client.post(
        f"/api/webhooks/pms/{uuid.uuid4()}/", content, content_type="application/json"
    )
    assert response.status_code == 404


def test_another_hotels_secret_is_refused(client: Client, hotel_a, hotel_b, secret) -> None:
    other = pms_webhook.rotate_secret(
        PMSConfiguration.objects.create(tenant=hotel_b.tenant, provider="demo")
    )
    assert post(client, hotel_a, other).status_code == 401
    assert nothing_stored()


def test_rotation_kills_the_old_secret_and_several_signatures_are_accepted(
    client: Client, hotel_a, secret
) -> None:
    new = pms_webhook.rotate_secret(PMSConfiguration.objects.get(tenant=hotel_a.tenant))
    assert post(client, hotel_a, secret).status_code == 401

    content = json.dumps(EVENT).encode()
    stamp = str(int(time.time()))
    both = f"{pms_webhook.sign(secret, 'msg_r', stamp, content)} {pms_webhook.sign(new, 'msg_r', stamp, content)}"
    assert (
        post(
            client, hotel_a, new, webhook_id="msg_r", timestamp=int(stamp), signature=both
        ).status_code
        == 200
    )


def test_a_check_in_queues_one_on_stay_message_and_a_first_sighting_none(
    client: Client, hotel_a, secret
) -> None:
    from messaging.defaults import seed_default_templates

    seed_default_templates(hotel_a.tenant)
    on_stay = {**EVENT, "reservation": {**EVENT["reservation"], "status": "on-stay"}}
    other_guest = {
        **EVENT,
        "reservation": {**EVENT["reservation"], "id": "R-2", "status": "on-stay"},
    }

    post(client, hotel_a, secret)  # booked
    post(client, hotel_a, secret, on_stay)  # checked in
    post(client, hotel_a, secret, on_stay)  # a resend of the same news, new webhook id
    post(client, hotel_a, secret, other_guest)  # first seen already in house: no greeting

    jobs = AutomationJob.objects.filter(tenant=hotel_a.tenant, kind="send_message")
    reservation = Reservation.objects.get(pms_reservation_id="R-1042")
    assert list(jobs.values_list("idempotency_key", flat=True)) == [
        f"trip:{reservation.guest_id}:{STAY_START}:{STAY_END}:on-stay"
    ]
    assert StatusTransition.objects.filter(reservation=reservation).count() == 2


def test_a_pushed_phone_whatsapp_cannot_use_is_kept_flagged_and_counted(
    client: Client, hotel_a, secret
) -> None:
    event = json.loads(json.dumps(EVENT))
    event["reservation"]["guest"]["phone"] = "0812"  # too short to be anyone's number

    response = post(client, hotel_a, secret, event)

    assert response.status_code == 200
    assert (response.json()["created"], response.json()["unusable_phones"]) == (1, 1)
    guest = Reservation.objects.get(tenant=hotel_a.tenant, pms_reservation_id="R-1042").guest
    assert (guest.phone_raw, guest.phone_e164, guest.phone_unusable) == ("0812", "", True)


# --- malformed but signed: a 4xx naming the problem, nothing stored --------------------------


def with_reservation(**changes: Any) -> dict:
    return {**EVENT, "reservation": {**EVENT["reservation"], **changes}}


def with_guest(**changes: Any) -> dict:
    return with_reservation(guest={**EVENT["reservation"]["guest"], **changes})


MALFORMED_EVENTS = {
    "nul in the guest's name": (with_guest(first_name="Si\x00ti"), "NUL"),
    "nul in the reservation id": (with_reservation(id="R-\x001042"), "NUL"),
    "nul in the booking code": (with_reservation(booking_code="HX\x007K2"), "NUL"),
    "nul in a key": ({**EVENT, "\x00": 1}, "NUL"),
    "a lone surrogate in the guest's name": (with_guest(first_name="Si\ud800ti"), "surrogate"),
    "eleven digits of amount": (with_reservation(amount=12345678901), "amount"),
    "an amount of 1e30": (with_reservation(amount=1e30), "amount"),
    "an amount of 1e400, as a string": (with_reservation(amount="1e400"), "amount"),
}


@pytest.mark.parametrize(("body", "named"), MALFORMED_EVENTS.values(), ids=MALFORMED_EVENTS.keys())
def test_a_signed_but_malformed_event_is_refused_by_name(
    client: Client, hotel_a, secret, body: dict, named: str
) -> None:
    response = post(client, hotel_a, secret, body)
    assert response.status_code == 400, response.content
    assert named in response.json()["error"]
    assert nothing_stored()


def test_json_nested_two_hundred_thousand_deep_is_refused(client: Client, hotel_a, secret) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    response = post(client, hotel_a, secret, raw=deep)
    assert response.status_code == 400 and "nested" in response.json()["error"]
    assert nothing_stored()


def test_an_infinite_number_literal_is_refused(client: Client, hotel_a, secret) -> None:
    raw = json.dumps(with_reservation(amount=1.5)).replace("1.5", "Infinity").encode()
    response = post(client, hotel_a, secret, raw=raw)
    assert response.status_code == 400, response.content
    assert nothing_stored()


def test_a_four_hundred_digit_timestamp_is_refused(client: Client, hotel_a, secret) -> None:
    response = post(client, hotel_a, secret, timestamp=int("9" * 400))
    assert response.status_code == 400 and "webhook-timestamp" in response.json()["error"]
    assert nothing_stored()


def test_a_webhook_id_longer_than_255_characters_is_refused_not_cut(
    client: Client, hotel_a, secret
) -> None:
    shared_start = "msg_" + "x" * 251
    assert post(client, hotel_a, secret, webhook_id=shared_start).status_code == 200

    checked_in = with_reservation(status="on-stay")
    response = post(client, hotel_a, secret, checked_in, webhook_id=shared_start + "-second")

    # Cut to 255 it would have collided with the first event and been answered "duplicate".
    assert response.status_code == 400 and "webhook-id" in response.json()["error"]
    assert InboundEvent.objects.count() == 1
    assert Reservation.objects.get(pms_reservation_id="R-1042").status == "pre-arrival"


# --- an integrity error in the effects is not a duplicate ------------------------------------


def test_a_conflict_in_the_effects_is_retried_not_answered_duplicate(
    client: Client, hotel_a, secret, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another event inserts the same guest between our lookup and our insert (simulated here by
    inserting it just before ours): the unique key fails inside the event's effects. That must not
    read as "seen before": nothing is kept and the sender is asked to deliver again."""
    from hotel.models import Guest
    from pms import sync

    real_write = sync.Batch.execute

    def a_concurrent_event_got_there_first(batch) -> None:
        Guest.objects.create(tenant=hotel_a.tenant, pms_guest_id="G-77")
        real_write(batch)

    monkeypatch.setattr(sync.Batch, "execute", a_concurrent_event_got_there_first)
    first = post(client, hotel_a, secret, webhook_id="msg_raced")

    assert first.status_code == 409, first.content
    assert first.json().get("status") != "duplicate"
    assert nothing_stored()

    monkeypatch.undo()
    again = post(client, hotel_a, secret, webhook_id="msg_raced")
    assert again.status_code == 200 and again.json()["status"] == "applied"
    assert Reservation.objects.filter(pms_reservation_id="R-1042").count() == 1


# --- the same on PostgreSQL, as the web app's role -------------------------------------------


POSTGRES_REFUSALS = {
    **{name: {"body": body} for name, (body, _named) in MALFORMED_EVENTS.items()},
    "nested 200,000 deep": {"raw": b"[" * 200_000 + b"]" * 200_000},
    "a 400-digit timestamp": {"timestamp": int("9" * 400)},
    "a 300-character webhook-id": {"webhook_id": "msg_" + "x" * 296},
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kwargs", POSTGRES_REFUSALS.values(), ids=POSTGRES_REFUSALS.keys())
def test_malformed_events_are_refused_on_postgres_as_the_app_role(kwargs: dict) -> None:
    from django.conf import settings

    from tests.helpers import django_connected_as

    hotel = factories.make_hotel("Hotel Alpha")
    secret = pms_webhook.rotate_secret(
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    )
    with django_connected_as(settings.DB_APP_ROLE):
        response = post(Client(), hotel, secret, **kwargs)
    assert response.status_code == 400, response.content
    assert nothing_stored()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_that_loses_a_race_for_a_new_guest_is_redelivered_not_lost() -> None:
    """Another transaction inserts the same new guest while this event is being applied: our
    insert waits for it, then hits the unique key. The answer asks for a redelivery, which then
    finds the guest and applies the reservation."""
    import threading

    from django.conf import settings
    from django.db import connections, transaction

    from hotel.models import Guest
    from tests.helpers import django_connected_as

    hotel = factories.make_hotel("Hotel Alpha")
    secret = pms_webhook.rotate_secret(
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    )
    inserted, release = threading.Event(), threading.Event()

    def another_event_for_the_same_guest() -> None:
        try:
            with transaction.atomic():
                Guest.objects.create(tenant=hotel.tenant, pms_guest_id="G-77", first_name="Siti")
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()

    other = threading.Thread(target=another_event_for_the_same_guest)
    other.start()
    assert inserted.wait(10)
    threading.Timer(1.0, release.set).start()  # commits while our insert waits on its row
    try:
        with django_connected_as(settings.DB_APP_ROLE):
            raced = post(Client(), hotel, secret, webhook_id="msg_raced")
            assert raced.status_code == 409, raced.content
            assert nothing_stored()
            again = post(Client(), hotel, secret, webhook_id="msg_raced")
    finally:
        release.set()
        other.join()
    assert again.status_code == 200 and again.json()["status"] == "applied"
    assert Guest.objects.filter(pms_guest_id="G-77").count() == 1
    assert Reservation.objects.filter(pms_reservation_id="R-1042").count() == 1
