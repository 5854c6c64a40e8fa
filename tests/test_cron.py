"""POST /api/cron/automation/: an external cron's scheduler tick, behind a bearer secret."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from automation.models import AutomationJob, JobKind
from hotel.models import Reservation
from messaging.defaults import seed_default_templates
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories

SECRET = "cron-secret-for-the-tests-0123"


@pytest.fixture(autouse=True)
def cron_secret(settings) -> None:
    settings.CRON_SECRET = SECRET


def arriving_tomorrow(hotel: factories.Hotel) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        hotel_today = timezone.localdate(timezone=ZoneInfo(hotel.tenant.time_zone))
        tomorrow = hotel_today + dt.timedelta(days=1)
        Reservation.objects.filter(pk=hotel.reservation.pk).update(
            status="pre-arrival", check_in=tomorrow, check_out=tomorrow + dt.timedelta(days=2)
        )


def cron(secret: str | None = SECRET, method: str = "post") -> object:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret is not None else {}
    return getattr(Client(), method)("/api/cron/automation/", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [None, "", "wrong-secret-of-the-same-size-01", SECRET + "x"])
def test_it_refuses_a_missing_or_wrong_bearer_and_schedules_nothing(hotel_a, secret) -> None:
    arriving_tomorrow(hotel_a)
    response = cron(secret)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AutomationJob.objects.exists()


@pytest.mark.django_db
def test_it_answers_only_post(hotel_a) -> None:
    assert cron(method="get").status_code == 405


@pytest.mark.django_db
def test_a_tick_schedules_the_due_work_of_every_hotel_once(hotel_a, hotel_b) -> None:
    arriving_tomorrow(hotel_a)
    arriving_tomorrow(hotel_b)

    first = cron()
    second = cron()

    assert first.status_code == 200 and first.json() == {"status": "ok", "queued": 4}
    assert second.json()["queued"] == 0  # idempotency keys and pending syncs: nothing twice
    assert sorted(AutomationJob.objects.values_list("kind", flat=True)) == sorted(
        [JobKind.PMS_SYNC, JobKind.SEND_MESSAGE] * 2
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_web_app_role_can_tick_for_every_hotel() -> None:
    from django.conf import settings

    from tests.helpers import django_connected_as

    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    arriving_tomorrow(a)
    arriving_tomorrow(b)
    with django_connected_as(settings.DB_APP_ROLE):
        response = cron()
    assert response.status_code == 200 and response.json()["queued"] == 4
    assert set(AutomationJob.objects.values_list("tenant_id", flat=True)) == {
        a.tenant.id,
        b.tenant.id,
    }
