"""The boards on PostgreSQL, connected as the app role with row-level security and real settings:
staff move an order and the guest's update is queued in the same transaction; the owner's switch
is a settings row only owners write; another hotel's order is a 404; the sidebar counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agent.models import (
    BoardSettings,
    HousekeepingRequest,
    HousekeepingType,
    OrderStatus,
    RoomServiceOrder,
)
from automation.models import AutomationJob
from messaging.models import MessageLog, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HTMX = {"HTTP_HX_REQUEST": "true"}


def orders_and_a_request(hotel: factories.Hotel) -> RoomServiceOrder:
    with acting_for_tenant(hotel.tenant.id):
        placed = RoomServiceOrder.objects.create(
            tenant=hotel.tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            items=[{"name": "Nasi goreng", "quantity": 2}],
            total=Decimal("150000"),
            currency="IDR",
        )
        RoomServiceOrder.objects.create(
            tenant=hotel.tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            items=[{"name": "Soto ayam", "quantity": 1}],
            status=OrderStatus.DELIVERED,
        )
        HousekeepingRequest.objects.create(
            tenant=hotel.tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            request_type=HousekeepingType.TOWELS,
        )
    return placed


def test_staff_move_an_order_and_the_guest_update_is_queued_as_the_app_role() -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    placed = orders_and_a_request(hotel)
    staff = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        staff.force_login(hotel.staff)
        page = staff.get("/orders/").content.decode()
        moved = staff.post(
            f"/orders/{placed.public_id}/move/", {"from": "received", "to": "confirmed"}, **HTMX
        )
        stale = staff.post(
            f"/orders/{placed.public_id}/move/", {"from": "received", "to": "confirmed"}, **HTMX
        )

    assert "2 × Nasi goreng" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert re.search(r'id="nav-open-orders".*?>1<', page, re.S)
    assert re.search(r'id="nav-open-requests".*?>1<', page, re.S)
    assert (moved.status_code, stale.status_code) == (200, 409)
    placed.refresh_from_db()
    assert placed.status == OrderStatus.CONFIRMED
    message = MessageLog.objects.get()
    assert (message.status, message.language_code) == (MessageStatus.QUEUED, "id")
    assert message.body.startswith("Pesanan Anda sudah dikonfirmasi")
    assert AutomationJob.objects.get().idempotency_key == (
        f"board-update:orders:{placed.public_id}:confirmed"
    )


def test_only_the_owner_switches_guest_updates_and_then_none_is_queued_as_the_app_role() -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    placed = orders_and_a_request(hotel)
    owner, staff = Client(), Client()
    with django_connected_as(settings.DB_APP_ROLE):
        staff.force_login(hotel.staff)
        owner.force_login(hotel.owner)
        refused = staff.post("/settings/guest-updates/", {"back": "/orders/"})
        switched = owner.post("/settings/guest-updates/", {"back": "/orders/"})
        moved = staff.post(
            f"/orders/{placed.public_id}/move/", {"from": "received", "to": "confirmed"}, **HTMX
        )

    assert (refused.status_code, switched.status_code, moved.status_code) == (403, 302, 200)
    assert BoardSettings.objects.get(tenant=hotel.tenant).notify_guests is False
    assert not MessageLog.objects.exists()


def test_another_hotels_order_is_a_404_as_the_app_role() -> None:
    hotel, other = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    placed = orders_and_a_request(hotel)
    stranger = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        stranger.force_login(other.owner)
        response = stranger.post(
            f"/orders/{placed.public_id}/move/", {"from": "received", "to": "confirmed"}
        )
        board = stranger.get("/orders/").content.decode()

    assert response.status_code == 404
    assert "Nasi goreng" not in board and 'id="nav-open-orders" class="nav-count"></span>' in board
    placed.refresh_from_db()
    assert placed.status == OrderStatus.RECEIVED


def test_the_sidebar_counts_are_one_query_as_the_app_role() -> None:
    from agent import boards

    hotel = factories.make_hotel("Hotel Alpha")
    orders_and_a_request(hotel)
    with (
        django_connected_as(settings.DB_APP_ROLE),
        acting_for_tenant(hotel.tenant.id, "staff"),
        CaptureQueriesContext(connection) as captured,
    ):
        counts = boards.open_counts(hotel.tenant)
    assert (counts.orders, counts.requests) == (1, 1)
    assert len(captured) == 1 and "UNION ALL" in captured[0]["sql"]
