"""On PostgreSQL, as production runs it: a stay's chat token links a WhatsApp chat and a booking
code does not (WAHA's webhook, app role); a phone WhatsApp can't use is kept, flagged and counted
(a PMS sync by the worker role, a push by the app role); the migration gives existing stays
their tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from automation import queue
from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration, SyncRun
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import django_connected_as
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STRANGER = "6287700001234"


@pytest.fixture
def two_hotels(settings: Any) -> tuple[factories.Hotel, factories.Hotel]:
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    with acting_for_tenant(a.tenant.id, role="owner"):
        WahaConfiguration.objects.create(
            tenant=a.tenant,
            session_name="default",
            status=SessionStatus.WORKING,
            phone_number="+6281100001111",
        )
    return a, b


def guest_writes(text: str, *, sender: str = STRANGER) -> dict[str, Any]:
    body = json.dumps(
        {
            "id": "evt_" + secrets.token_hex(13),
            "timestamp": int(time.time() * 1000),
            "event": "message",
            "session": "default",
            "engine": "NOWEB",
            "payload": {
                "id": f"false_{sender}@c.us_{secrets.token_hex(8).upper()}",
                "from": f"{sender}@c.us",
                "fromMe": False,
                "body": text,
                "hasMedia": False,
            },
        }
    ).encode()
    response = Client().post(
        "/api/webhooks/waha/",
        body,
        content_type="application/json",
        HTTP_X_WEBHOOK_HMAC=hmac.new(WAHA_TEST_HMAC.encode(), body, hashlib.sha512).hexdigest(),
        HTTP_X_WEBHOOK_TIMESTAMP=str(int(time.time() * 1000)),
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_booking_code_links_nothing_and_a_chat_token_links_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings
) -> None:
    a, b = two_hotels
    staff = Client()
    staff.force_login(a.staff)
    with django_connected_as(settings.DB_APP_ROLE):
        page = staff.get(f"/reservations/{a.reservation.public_id}/").content.decode()
        by_code = guest_writes(f"Hi! My booking code is {a.reservation.booking_code}")
        by_other_hotels_token = guest_writes(f"Hi! (ref: {b.reservation.chat_token})")
        by_token = guest_writes(f"Hi Hotel Alpha! (ref: {a.reservation.chat_token})")

    assert a.reservation.chat_token in page  # the link the hotel hands out
    assert by_code["status"] == by_other_hotels_token["status"] == by_token["status"] == "stored"
    code_message, other_message, token_message = MessageLog.objects.order_by("pk")
    assert code_message.direction == Direction.INBOUND
    assert (code_message.tenant_id, code_message.guest, code_message.reservation) == (
        a.tenant.id,
        None,
        None,
    )
    assert (other_message.guest, other_message.reservation) == (None, None)
    assert (token_message.guest, token_message.reservation) == (a.guest, a.reservation)
    guest = Guest.objects.get(pk=a.guest.pk)
    assert guest.phone_e164 == a.guest.phone_e164
    assert guest.whatsapp_chat_id == f"{STRANGER}@c.us"
    assert guest.consent_source == "whatsapp_chat_token"
    assert Guest.objects.get(pk=b.guest.pk).whatsapp_chat_id == ""


def test_a_phone_whatsapp_cannot_use_is_kept_and_counted_by_the_worker_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings, monkeypatch
) -> None:
    from pms.adapters.demo import DemoAdapter

    a, _ = two_hotels
    pms = factories.StaysAdapter(
        [
            factories.pms_stay("Q1", "QG1", phone="12345"),
            factories.pms_stay("Q2", "QG2", phone="+6281234567890"),
        ]
    )
    monkeypatch.setattr(DemoAdapter, "pull_reservations", pms.pull_reservations)
    owner = Client()
    owner.force_login(a.owner)
    with django_connected_as(settings.DB_APP_ROLE):
        owner.post("/settings/pms/", {"provider": "demo"})
        owner.post("/api/pms/sync/")
    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 1
    with django_connected_as(settings.DB_APP_ROLE):
        page = owner.get("/settings/pms/").content.decode()

    assert SyncRun.objects.get(tenant=a.tenant).unusable_phones == 1
    flagged = Guest.objects.get(tenant=a.tenant, pms_guest_id="QG1")
    assert (flagged.phone_raw, flagged.phone_e164, flagged.phone_unusable) == ("12345", "", True)
    assert "1 guest has a phone number that can't be used for WhatsApp" in page


def test_a_pushed_phone_whatsapp_cannot_use_is_kept_and_counted_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings
) -> None:
    a, _ = two_hotels
    with acting_for_tenant(a.tenant.id, role="owner"):
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=a.tenant, provider="demo")
        )
    stay = factories.pms_stay("P1", "PG1")
    content = json.dumps(
        {
            "type": "reservation.upserted",
            "reservation": {
                "id": stay.pms_id,
                "status": "pre-arrival",
                "check_in": stay.check_in.isoformat(),
                "check_out": stay.check_out.isoformat(),
                "guest": {"id": "PG1", "first_name": "Wulan", "phone": "0812"},
            },
        }
    ).encode()
    webhook_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    with django_connected_as(settings.DB_APP_ROLE):
        response = Client().post(
            f"/api/webhooks/pms/{a.tenant.public_id}/",
            content,
            content_type="application/json",
            HTTP_WEBHOOK_ID=webhook_id,
            HTTP_WEBHOOK_TIMESTAMP=stamp,
            HTTP_WEBHOOK_SIGNATURE=pms_webhook.sign(secret, webhook_id, stamp, content),
        )

    assert response.status_code == 200 and response.json()["unusable_phones"] == 1
    guest = Guest.objects.get(tenant=a.tenant, pms_guest_id="PG1")
    assert (guest.phone_raw, guest.phone_e164) == ("0812", "")


def test_the_migration_gives_every_existing_stay_its_own_token(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    call_command("migrate", "hotel", "0011_reservation_chat_token_column", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reservations SET chat_token = NULL")
    call_command("migrate", verbosity=0)

    tokens = list(Reservation.objects.values_list("chat_token", flat=True))
    assert len(tokens) == 2 and len(set(tokens)) == 2
    assert all(len(token) == 16 for token in tokens)
