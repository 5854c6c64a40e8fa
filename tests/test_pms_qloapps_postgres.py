"""A QloApps hotel as it runs: the owner connects the shop as the app role, the worker role syncs
it over HTTP from a QloApps beside Innbox (allowed by the operator's PMS_ALLOWED_PRIVATE_HOSTS)."""

from __future__ import annotations

import pytest
from django.test import Client

from automation import queue
from automation.models import AutomationJob
from hotel.models import Reservation
from pms.models import PMSConfiguration
from tests import factories, qloapps_server
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_qloapps_sync_by_the_worker_stores_every_orders_currency(settings) -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    settings.PMS_ALLOWED_PRIVATE_HOSTS = ("127.0.0.1",)
    owner = Client()
    with qloapps_server.serving() as (shop, paths):
        with django_connected_as(settings.DB_APP_ROLE):
            owner.force_login(hotel.owner)
            saved = owner.post(
                "/settings/pms/",
                {"provider": "qloapps", "base_url": shop, "api_key": qloapps_server.KEY},
            )
            assert saved.status_code == 302
            tested = owner.post("/settings/pms/test/", follow=True).content.decode()
            assert "Connection works" in tested
            owner.post("/api/pms/sync/")
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert queue.run_once() == 1

    assert AutomationJob.objects.get(tenant=hotel.tenant, kind="pms_sync").status == "succeeded"
    assert PMSConfiguration.objects.get(tenant=hotel.tenant).base_url == f"{shop}/api"
    synced = Reservation.objects.filter(tenant=hotel.tenant).exclude(pk=hotel.reservation.pk)
    currencies = dict(synced.values_list("pms_reservation_id", "currency"))
    assert currencies == {"11": "IDR", "12": "USD", "13": "IDR", "14": "IDR", "15": "USD"}
    assert sum("/api/currencies?" in path for path in paths) == 1
