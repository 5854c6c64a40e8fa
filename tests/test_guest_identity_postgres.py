"""On PostgreSQL, as production runs it: a phone WhatsApp can't use is kept, flagged and counted
(a PMS sync by the worker role, a push by the app role)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.test import Client

from automation import pms_webhook, queue
from hotel.models import Guest
from pms.models import PMSConfiguration, SyncRun
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.test_request_context_postgres import django_connected_as
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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
