"""Several PMS events about one reservation at the same moment, on PostgreSQL, posted as the web
app's role (innbox_app) from parallel threads: each change is recorded once, whoever commits
first, and every sender is answered 200 with its event stored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from automation.models import AutomationJob, InboundEvent, JobKind
from hotel.models import Guest, Reservation, StatusTransition
from messaging.defaults import seed_default_templates
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import EVENT, django_connected_as, post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SENDERS = 8
CHECKED_IN = {**EVENT, "reservation": {**EVENT["reservation"], "status": "on-stay"}}


@pytest.fixture
def pushing() -> tuple[factories.Hotel, str]:
    """A hotel whose PMS pushes, and its webhook secret."""
    hotel = factories.make_hotel("Hotel Alpha")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    return hotel, secret


def all_at_once(hotel: factories.Hotel, secret: str, bodies: list[Any]) -> list[tuple[int, str]]:
    """Each body posted from its own thread, each with its own webhook id, released together;
    every thread connects as the web app's role."""
    start = threading.Barrier(len(bodies))

    def deliver(body: Any) -> tuple[int, str]:
        try:
            # Each thread opens its own connection: as the web app's role, like gunicorn's.
            connection.settings_dict["USER"] = settings.DB_APP_ROLE
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_user")
                assert cursor.fetchone()[0] == settings.DB_APP_ROLE
            start.wait(timeout=30)
            response = post(Client(), hotel, secret, body)
            return response.status_code, response.json().get("status", "")
        finally:
            connections.close_all()

    with django_connected_as(settings.DB_APP_ROLE), ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(deliver, bodies))


def test_one_check_in_told_by_several_events_at_once_is_recorded_once(pushing) -> None:
    hotel, secret = pushing
    with django_connected_as(settings.DB_APP_ROLE):
        assert post(Client(), hotel, secret, EVENT).status_code == 200  # booked

    answers = all_at_once(hotel, secret, [CHECKED_IN] * SENDERS)

    assert answers == [(200, "applied")] * SENDERS
    reservation = Reservation.objects.get(pms_reservation_id="R-1042")
    assert reservation.status == "on-stay"
    assert (
        StatusTransition.objects.filter(
            reservation=reservation, from_status="pre-arrival", to_status="on-stay"
        ).count()
        == 1
    )
    assert AutomationJob.objects.filter(kind=JobKind.SEND_MESSAGE).count() == 1
    assert InboundEvent.objects.count() == 1 + SENDERS


def test_a_new_booking_told_by_several_events_at_once_is_created_once(pushing) -> None:
    hotel, secret = pushing

    answers = all_at_once(hotel, secret, [EVENT] * SENDERS)

    # None of them is mistaken for a duplicate and lost: each event is stored, once.
    assert answers == [(200, "applied")] * SENDERS
    assert InboundEvent.objects.count() == SENDERS
    reservation = Reservation.objects.get(pms_reservation_id="R-1042")
    assert Guest.objects.filter(tenant=hotel.tenant, pms_guest_id="G-77").count() == 1
    assert StatusTransition.objects.filter(reservation=reservation).count() == 1


def test_two_rooms_of_a_new_guest_arriving_at_once_make_one_guest(pushing) -> None:
    hotel, secret = pushing
    second_room = {
        **EVENT,
        "reservation": {**EVENT["reservation"], "id": "R-1043", "room_number": "215"},
    }

    answers = all_at_once(hotel, secret, [EVENT, second_room] * (SENDERS // 2))

    assert answers == [(200, "applied")] * SENDERS
    assert Guest.objects.filter(tenant=hotel.tenant, pms_guest_id="G-77").count() == 1
    assert set(
        Reservation.objects.filter(guest__pms_guest_id="G-77").values_list(
            "pms_reservation_id", flat=True
        )
    ) == {"R-1042", "R-1043"}
    assert StatusTransition.objects.filter(reservation__guest__pms_guest_id="G-77").count() == 2
