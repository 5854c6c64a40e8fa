"""The shell's writes and the dashboard's time-zone grouping on PostgreSQL, as the app role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from messaging.models import MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant, User
from tests import factories
from tests.helpers import django_connected_as, hotel_now, message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_it_saves_the_room_count_and_language_as_the_app_role() -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    client = Client()
    form = {"name": "Hotel Alpha", "time_zone": "Asia/Jakarta", "default_language": "en",
            "room_count": "30"}  # fmt: skip
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(hotel.owner)
        saved = client.post("/settings/hotel/", form)
        chose = client.post("/account/language/", {"ui_language": "id"})
        page = client.get("/").content.decode()

    assert (saved.status_code, chose.status_code) == (302, 302)
    assert Tenant.objects.get(pk=hotel.tenant.pk).room_count == 30
    assert User.objects.get(pk=hotel.owner.pk).ui_language == "id"
    assert "Dasbor" in page


def test_it_groups_messages_by_the_hotels_day_as_the_app_role() -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    other = factories.make_hotel("Hotel Bravo")
    now = hotel_now(hotel)
    with acting_for_tenant(hotel.tenant.id):
        for _ in range(2):
            message(hotel, MessageStatus.DELIVERED, created=now - dt.timedelta(days=2))
    with acting_for_tenant(other.tenant.id):
        message(other, MessageStatus.DELIVERED, created=now - dt.timedelta(days=2))
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(hotel.staff)
        data = client.get("/").context["message_chart"]["data"]

    assert data.value((now - dt.timedelta(days=2)).date(), "delivered") == 2
    assert sum(data.total(day) for day in data.days) == 2
