"""End to end: a signed PMS webhook checks a guest in → on-stay → one job → the worker sends
through the (fake) WAHA in the guest's language → the log says sent with WAHA's id → the ack
webhook → delivered."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from automation import queue
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import CHECKED_IN, EVENT, MIDDAY_IN_JAKARTA, checked_in, connect_whatsapp, post


@pytest.fixture(autouse=True)
def midday_at_the_hotel() -> Iterator[None]:
    # Quiet hours stay on, as in production (and their own tests travel into them): these
    # tests run at noon in the hotel's and the guests' time zone, whatever the clock says.
    with time_machine.travel(MIDDAY_IN_JAKARTA, tick=True):
        yield


def ack(client: Client, message_id: str, value: int, key: str) -> int:
    body = json.dumps(
        {
            "id": f"evt_{message_id[-8:]}_{value}",
            "timestamp": int(time.time() * 1000),
            "event": "message.ack",
            "session": "default",
            "engine": "NOWEB",
            "payload": {"id": message_id, "fromMe": True, "ack": value, "ackName": "DEVICE"},
        }
    ).encode()
    signature = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    return client.post(
        "/api/webhooks/waha/", body, content_type="application/json", HTTP_X_WEBHOOK_HMAC=signature
    ).status_code


def run_scenario(hotel: factories.Hotel, fake: Any, settings: Any) -> MessageLog:
    settings.APP_URL = "http://127.0.0.1:9"
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        config = PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        secret = pms_webhook.rotate_secret(config)
    connect_whatsapp(hotel, fake, settings)
    pms = Client()

    assert post(pms, hotel, secret, EVENT).status_code == 200  # booked
    assert post(pms, hotel, secret, CHECKED_IN, webhook_id="msg_checkin").status_code == 200
    assert (
        post(pms, hotel, secret, CHECKED_IN, webhook_id="msg_checkin").json()["status"]
        == "duplicate"
    )
    assert queue.run_once() == 1
    assert queue.run_once() == 0

    assert len(fake.sent_texts) == 1
    assert fake.sent_texts[0]["chatId"] == "6281234560001@c.us"
    assert fake.sent_texts[0]["text"].startswith("Selamat datang di")  # the guest speaks Indonesian
    message = MessageLog.objects.get(tenant=hotel.tenant, direction="outbound")
    assert message.status == "sent" and message.waha_message_id.startswith(
        "true_6281234560001@c.us_"
    )
    assert message.origin == "on-stay" and message.language_code == "id"

    assert ack(Client(), message.waha_message_id, 2, settings.WAHA_WEBHOOK_HMAC_KEY) == 200
    message.refresh_from_db()
    assert message.status == "delivered"
    return message


@pytest.mark.django_db
def test_a_check_in_webhook_sends_one_welcome_that_is_then_delivered(
    hotel_a, fake_waha, settings
) -> None:
    run_scenario(hotel_a, fake_waha, settings)


@pytest.mark.django_db
def test_waha_failing_twice_then_working_sends_on_the_third_attempt(
    hotel_a, fake_waha, settings
) -> None:

    import time_machine
    from django.utils import timezone

    job = checked_in(hotel_a, fake_waha, settings)
    fake_waha.fail("POST", "/api/sendText", status=500, times=2)

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            queue.run_once()
            traveller.shift(dt.timedelta(hours=2))

    assert len(fake_waha.sent_texts) == 1
    job.refresh_from_db()
    assert job.status == "succeeded" and len(job.error_history) == 2
    assert MessageLog.objects.get(direction="outbound").status == "sent"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_end_to_end_on_postgres_as_the_app_and_worker_roles(fake_waha, settings) -> None:
    from tests.helpers import django_connected_as

    hotel = factories.make_hotel("Hotel Alpha")
    settings.APP_URL = "http://127.0.0.1:9"
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    connect_whatsapp(hotel, fake_waha, settings)
    with django_connected_as(settings.DB_APP_ROLE):
        assert post(Client(), hotel, secret, EVENT).status_code == 200
        assert post(Client(), hotel, secret, CHECKED_IN, webhook_id="msg_pg").status_code == 200
        assert (
            post(Client(), hotel, secret, CHECKED_IN, webhook_id="msg_pg").json()["status"]
            == "duplicate"
        )
    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 1
    with django_connected_as(settings.DB_APP_ROLE):
        message = MessageLog.objects.none()
        with acting_for_tenant(hotel.tenant.id):
            message = MessageLog.objects.get(direction="outbound")
        assert ack(Client(), message.waha_message_id, 3, settings.WAHA_WEBHOOK_HMAC_KEY) == 200
    assert len(fake_waha.sent_texts) == 1
    message.refresh_from_db()
    assert message.status == "read"
