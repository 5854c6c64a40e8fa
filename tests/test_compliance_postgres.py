"""On PostgreSQL, as production runs it, under row-level security: the retention purge by the
worker's role (the scheduler's tick, and the command), an owner's export and erasure and a staff
member's consent entry by the web app's role."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from automation import scheduler
from automation.models import InboundEvent
from compliance.models import DataRequest, RequestKind
from compliance.retention import months_before
from hotel.models import ConsentEvent, Guest
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import Person, django_connected_as, furnish_guest, where_named
from whatsapp import sender

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def secret_for(hotel: factories.Hotel) -> str:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        return pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
        )


def left(months: int) -> dict[str, dt.date]:
    out = months_before(TODAY, months)
    return {"check_in": out - dt.timedelta(days=2), "check_out": out}


@pytest.fixture
def hotels() -> tuple[factories.Hotel, factories.Hotel]:
    return factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")


def old_guest(hotel: factories.Hotel, secret: str, first: str, phone: str) -> Person:
    person = furnish_guest(
        hotel, secret, first=first, last="Oldstay", phone=phone,
        email=f"{first.lower()}@example.org", pms_id=phone[-4:], **left(26),
    )  # fmt: skip
    then = timezone.now() - dt.timedelta(days=800)
    with acting_for_tenant(hotel.tenant.id):  # what came in then is as old as the stay
        InboundEvent.objects.filter(tenant=hotel.tenant).update(received_at=then)
        MessageLog.objects.filter(tenant=hotel.tenant).update(created_at=then)
    return person


def test_the_worker_purges_every_hotel_under_row_level_security(
    hotels: tuple[factories.Hotel, factories.Hotel], settings: Any
) -> None:
    a, b = hotels
    secret_a, secret_b = secret_for(a), secret_for(b)
    old_a = old_guest(a, secret_a, "Ottilie", "+6287711110001")
    old_b = old_guest(b, secret_b, "Percival", "+6287711110002")
    recent = furnish_guest(
        a, secret_a, first="Rosamund", last="Newstay", phone="+6287711110003",
        email="rosamund@example.org", pms_id="803", **left(2),
    )  # fmt: skip

    out = io.StringIO()
    with django_connected_as(settings.DB_WORKER_ROLE):
        call_command("purge_personal_data", "--dry-run", stdout=out)
    assert len(where_named(old_a.names)) >= 6 and len(where_named(old_b.names)) >= 6
    with django_connected_as(settings.DB_WORKER_ROLE):
        scheduler.tick()

    assert (
        "[dry run] Hotel Alpha" in out.getvalue() and "would anonymise 1 guests" in out.getvalue()
    )
    assert where_named(old_a.names) == [] and where_named(old_b.names) == []
    assert len(where_named(recent.names)) >= 6
    for hotel in hotels:
        with acting_for_tenant(hotel.tenant.id):
            run = DataRequest.objects.get(tenant=hotel.tenant, kind=RequestKind.RETENTION_PURGE)
        assert run.details["guests"] == 1


def test_an_owner_exports_and_erases_and_staff_record_consent_as_the_app_role(
    hotels: tuple[factories.Hotel, factories.Hotel], settings: Any
) -> None:
    a, b = hotels
    secret = secret_for(a)
    zuleika = furnish_guest(
        a, secret, first="Zuleika", last="Featherstonehaugh", phone="+6289911112222",
        email="zuleika@example.org", pms_id="901", **left(1),
    )  # fmt: skip
    bartholomew = furnish_guest(
        a, secret, first="Bartholomew", last="Quixley", phone="+6289933334444",
        email="bart@example.org", pms_id="902", **left(1),
    )  # fmt: skip
    owner, staff, stranger = Client(), Client(), Client()
    owner.force_login(a.owner)
    staff.force_login(a.staff)
    stranger.force_login(b.owner)
    base = f"/guests/{zuleika.guest.public_id}"
    with acting_for_tenant(a.tenant.id):
        sender.refuse(a.tenant, "+6289911112222", "the guest wrote STOP")

    with django_connected_as(settings.DB_APP_ROLE):
        owner.get(f"{base}/data/")  # a line in the audit log, which the next export shows
        exported = owner.get(f"{base}/data.json")
        assert stranger.get(f"{base}/data.json").status_code == 404
        assert staff.get(f"{base}/data.json").status_code == 403
        entered = staff.post(
            f"/guests/{bartholomew.guest.public_id}/consent/", {"change": "opted-out"}
        )
        erased = owner.post(f"{base}/erase/", {"confirm": "on"})

    assert exported.status_code == 200
    data = json.loads(exported.content)
    assert data["guest"]["last_name"] == "Featherstonehaugh" and len(data["messages"]) == 3
    assert "Bartholomew" not in exported.content.decode()
    assert data["conversations"][0]["contact_name"] == "Zuleika Featherstonehaugh"
    assert [r["phone_e164"] for r in data["refused_numbers"]] == ["+6289911112222"]
    assert [e["event"] for e in data["audit_log"]] == ["compliance.guest_exported"]
    assert entered.status_code == 302 and erased.status_code == 302
    # Everything named the guest is anonymised but the number that said STOP: still refused.
    assert where_named(zuleika.names) == [("refused_numbers", "phone_e164")]
    assert sender.refuses(a.tenant, "+6289911112222")
    assert len(where_named(bartholomew.names)) >= 6
    with acting_for_tenant(a.tenant.id):
        assert Guest.objects.get(pk=bartholomew.guest.pk).opted_out_at is not None
        assert ConsentEvent.objects.filter(guest=bartholomew.guest, source="staff").exists()
        kinds = sorted(DataRequest.objects.values_list("kind", flat=True))
    assert kinds == [RequestKind.ERASURE, RequestKind.EXPORT, RequestKind.EXPORT]
