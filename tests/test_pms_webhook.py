"""POST /api/webhooks/pms/<hotel>/: Standard Webhooks signing; every refusal stores nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.test import Client

from automation import pms_webhook
from automation.models import AutomationJob, InboundEvent
from hotel.models import Reservation, StatusTransition
from pms.models import PMSConfiguration
from tests import factories

pytestmark = pytest.mark.django_db

EVENT = {
    "type": "reservation.upserted",
    "reservation": {
        "id": "R-1042",
        "status": "pre-arrival",
        "check_in": "2026-12-01",
        "check_out": "2026-12-04",
        "booking_code": "HX7K2",
        "room_number": "214",
        "guest": {"id": "G-77", "first_name": "Siti", "phone": "+6281234560001", "language": "id"},
    },
}


@pytest.fixture
def secret(hotel_a: factories.Hotel) -> str:
    config = PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    return pms_webhook.rotate_secret(config)


def post(
    client: Client,
    hotel: factories.Hotel,
    secret: str,
    body: Any = EVENT,
    *,
    webhook_id: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
    raw: bytes | None = None,
):
    content = raw if raw is not None else json.dumps(body).encode()
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": stamp,
        "HTTP_WEBHOOK_SIGNATURE": signature or pms_webhook.sign(secret, webhook_id, stamp, content),
    }
    return client.post(
        f"/api/webhooks/pms/{hotel.tenant.public_id}/",
        content,
        content_type="application/json",
        **headers,
    )


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
        f"trip:{reservation.guest_id}:2026-12-01:2026-12-04:on-stay"
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
