"""The hotel's sending pace (token bucket size) on /settings/waha/: owners set it, staff read it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from whatsapp import pacing as rate_limit
from whatsapp.models import WahaConfiguration

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(hotel_a: factories.Hotel, settings) -> WahaConfiguration:
    settings.WAHA_BASE_URL = None  # the page must not call a WAHA for these tests
    settings.AUTOMATION_SENDS_PER_MINUTE = 6
    return WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status="WORKING"
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_sets_the_pace_and_the_bucket_follows_it(hotel_a, connected) -> None:
    owner = login(hotel_a.owner)
    assert 'value="6"' in owner.get("/settings/waha/").content.decode()  # the default, shown

    response = owner.post("/settings/waha/pace/", {"sends_per_minute": "2"}, follow=True)

    assert "at most 2 messages per minute" in response.content.decode()
    connected.refresh_from_db()
    assert connected.sends_per_minute == 2
    now = timezone.now()
    assert [rate_limit.take(hotel_a.tenant, now) for _ in range(3)][:2] == [None, None]
    assert rate_limit.take(hotel_a.tenant, now) is not None  # the third waits


@pytest.mark.parametrize("value", ["0", "31", "many", ""])
def test_a_pace_out_of_range_is_explained_and_nothing_changes(hotel_a, connected, value) -> None:
    response = login(hotel_a.owner).post("/settings/waha/pace/", {"sends_per_minute": value})

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    connected.refresh_from_db()
    assert connected.sends_per_minute is None


def test_it_requires_owner(hotel_a, connected) -> None:
    staff = login(hotel_a.staff)
    assert staff.post("/settings/waha/pace/", {"sends_per_minute": "20"}).status_code == 403
    assert staff.get("/settings/waha/").status_code == 403
    connected.refresh_from_db()
    assert connected.sends_per_minute is None


def test_it_hides_other_tenants_records(hotel_a, hotel_b, connected) -> None:
    theirs = WahaConfiguration.objects.create(tenant=hotel_b.tenant, session_name="b")
    login(hotel_a.owner).post("/settings/waha/pace/", {"sends_per_minute": "3"})
    theirs.refresh_from_db()
    assert theirs.sends_per_minute is None


def test_before_whatsapp_is_connected_it_says_to_connect_first(hotel_a, settings) -> None:
    settings.WAHA_BASE_URL = None
    owner = login(hotel_a.owner)
    response = owner.post("/settings/waha/pace/", {"sends_per_minute": "3"}, follow=True)
    assert "Connect WhatsApp first" in response.content.decode()
    assert not WahaConfiguration.objects.exists()
