"""One automated message per guest, trip and trigger: the rooms a guest booked for the same
dates (a two-room order) share each message, which names their rooms."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
import time_machine
from django.test import Client

from automation import queue, scheduler
from automation.models import AutomationJob, JobStatus
from hotel.models import Reservation
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog, MessageTemplateVariant
from pms import webhook as pms_webhook
from pms.adapters.qloapps import QloAppsAdapter
from pms.models import PMSConfiguration
from pms.push import PushEvent, apply_push
from pms.sync import sync_reservations
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import KEY, FakeQloApps, django_connected_as, load, post

pytestmark = pytest.mark.django_db
UTC = dt.UTC
STAY = (dt.date(2027, 3, 29), dt.date(2027, 3, 31))
# Every automated message ends with the hotel's opt-out line (on by default).
OPT_OUT_LINE = "\n\nReply STOP to opt out."


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """March 2027, hotel time (WIB, UTC+7), as the UTC instant."""
    return dt.datetime(2027, 3, day, hour, minute, second, tzinfo=UTC) - dt.timedelta(hours=7)


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.APP_URL = "http://testserver"
    hotel_a.tenant.time_zone = "Asia/Jakarta"
    hotel_a.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel_a.tenant)
    # The pre-arrival message names the rooms too, to see which it is for.
    MessageTemplateVariant.objects.filter(template__trigger="pre-arrival").update(
        content="See you soon, {{guestName}}: room {{roomNumber}} is ready."
    )
    return hotel_a


def push(hotel: factories.Hotel, pms_id: str, room: str, status: str) -> None:
    event = {
        "type": "reservation.upserted",
        "reservation": {
            "id": pms_id,
            "status": status,
            "check_in": STAY[0].isoformat(),
            "check_out": STAY[1].isoformat(),
            "booking_code": "ORDER-7",
            "room_number": room,
            "guest": {"id": "G-1", "first_name": "Siti", "phone": "+6281234560001"},
        },
    }
    apply_push(hotel.tenant, PushEvent.model_validate(event))


def both_rooms(hotel: factories.Hotel, status: str) -> None:
    push(hotel, "R-101", "101", status)
    push(hotel, "R-102", "102", status)


def sent(origin: str) -> list[str]:
    return list(
        MessageLog.objects.filter(origin=origin, status="sent").values_list("body", flat=True)
    )


def test_a_two_room_booking_gets_one_message_per_trigger_naming_both_rooms(hotel) -> None:
    with time_machine.travel(at(27, 8), tick=False) as traveller:
        both_rooms(hotel, "pre-arrival")
        assert scheduler.tick() == 1
        traveller.move_to(at(28, 10, 0, 1))
        queue.run_once()

        traveller.move_to(at(29, 14))
        both_rooms(hotel, "on-stay")
        queue.run_once()

        traveller.move_to(at(31, 11))
        both_rooms(hotel, "checked-out")
        assert scheduler.tick() == 1
        traveller.move_to(at(31, 10, 0, 1) + dt.timedelta(days=1))  # 1 April
        queue.run_once()

    assert sent("pre-arrival") == [f"See you soon, Siti: room 101, 102 is ready.{OPT_OUT_LINE}"]
    [welcome] = sent("on-stay")
    assert "101, 102" in welcome
    assert len(sent("post-stay")) == 1
    assert AutomationJob.objects.filter(kind="send_message").count() == 3


def test_cancelling_one_room_of_two_still_sends_for_the_other(hotel, client: Client) -> None:
    with time_machine.travel(at(27, 8), tick=False) as traveller:
        both_rooms(hotel, "pre-arrival")
        scheduler.tick()
        push(hotel, "R-101", "101", "cancelled")  # the room the job was filed under
        job = AutomationJob.objects.get(payload__trigger="pre-arrival")
        assert job.status == JobStatus.QUEUED
        assert job.reservation == Reservation.objects.get(pms_reservation_id="R-102")
        traveller.move_to(at(28, 10, 0, 1))
        queue.run_once()

    assert sent("pre-arrival") == [f"See you soon, Siti: room 102 is ready.{OPT_OUT_LINE}"]
    assert MessageLog.objects.get().reservation.pms_reservation_id == "R-102"
    client.force_login(hotel.owner)
    remaining = Reservation.objects.get(pms_reservation_id="R-102")
    assert (
        "Pre-arrival message"
        in client.get(f"/reservations/{remaining.public_id}/").content.decode()
    )


def test_cancelling_both_rooms_cancels_the_message(hotel) -> None:
    with time_machine.travel(at(27, 8), tick=False) as traveller:
        both_rooms(hotel, "pre-arrival")
        scheduler.tick()
        both_rooms(hotel, "cancelled")
        traveller.move_to(at(28, 10, 0, 1))
        assert queue.run_once() == 0

    assert AutomationJob.objects.get(payload__trigger="pre-arrival").status == JobStatus.CANCELLED
    assert not MessageLog.objects.exists()


def test_a_job_written_before_trips_is_not_doubled(hotel) -> None:
    with time_machine.travel(at(27, 8), tick=False):
        both_rooms(hotel, "pre-arrival")
        room = Reservation.objects.get(pms_reservation_id="R-102")
        AutomationJob.objects.create(
            tenant=hotel.tenant,
            kind="send_message",
            idempotency_key=f"{room.pk}:pre-arrival",  # the key jobs had before
            payload={"reservation": room.pk, "trigger": "pre-arrival"},
            reservation=room,
            run_at=at(28, 10),
        )
        assert scheduler.tick() == 0

    assert AutomationJob.objects.filter(payload__trigger="pre-arrival").count() == 1


class TwoRoomOrder(FakeQloApps):
    """QloApps with one more room in Siti's order 5: A-101 and A-105, 1 to 4 December."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        if not request.url.path.endswith("/room_bookings") or response.status_code != 200:
            return response
        data = json.loads(response.content)
        if not data:
            return response
        rooms = data["bookings"]
        first = next((row for row in rooms if row["id"] == 11), None)
        if first is not None:
            rooms.append({**first, "id": 16, "id_room": "7", "room_num": "A-105"})
        return httpx.Response(200, json={"bookings": rooms})


def test_a_qloapps_order_of_two_rooms_gets_one_pre_arrival_message(hotel) -> None:
    adapter = QloAppsAdapter(
        base_url="https://hotel.example/api",
        credentials={"api_key": KEY},
        transport=httpx.MockTransport(TwoRoomOrder()),
        time_zone="Asia/Jakarta",
    )
    assert load("room_bookings.json")["bookings"][0]["id"] == 11
    # 29 November: 1 December is in the pre-arrival window; the factory's stay (today) is not.
    with time_machine.travel(dt.datetime(2026, 11, 29, 1, 0, tzinfo=UTC), tick=False):
        run = sync_reservations(hotel.tenant, adapter, dt.date(2026, 11, 1), dt.date(2027, 1, 31))
        assert run.status == "succeeded" and run.created == 6
        assert scheduler.tick() == 1

    job = AutomationJob.objects.get(payload__trigger="pre-arrival")
    assert job.reservation.room_number == "A-101"
    assert set(
        Reservation.objects.filter(guest=job.reservation.guest, check_in="2026-12-01").values_list(
            "room_number", flat=True
        )
    ) == {"A-101", "A-105"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_message_for_two_rooms_as_the_app_and_worker_roles(settings: Any) -> None:
    """Pushes as the web app's role, the schedule and the send as the worker's; one room is
    cancelled on the way. (March 2026: the database's own clock finds the job due.)"""
    hotel = factories.make_hotel("Hotel Alpha")
    settings.WAHA_BASE_URL = None
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        hotel.tenant.time_zone = "Asia/Jakarta"
        hotel.tenant.save(update_fields=["time_zone"])
        seed_default_templates(hotel.tenant)
        MessageTemplateVariant.objects.filter(template__trigger="pre-arrival").update(
            content="Room {{roomNumber}} is ready."
        )
        # The PMS pushes; no scheduled pull.
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
        )

    def room(pms_id: str, number: str, status: str) -> dict[str, Any]:
        return {
            "type": "reservation.upserted",
            "reservation": {
                "id": pms_id,
                "status": status,
                "check_in": "2026-03-29",
                "check_out": "2026-03-31",
                "room_number": number,
                "guest": {"id": "G-1", "first_name": "Siti", "phone": "+6281234560001"},
            },
        }

    a_year_earlier = dt.timedelta(days=365)
    with time_machine.travel(at(27, 8) - a_year_earlier, tick=False) as traveller:
        with django_connected_as(settings.DB_APP_ROLE):
            for pms_id, number in (("R-101", "101"), ("R-102", "102")):
                assert (
                    post(Client(), hotel, secret, room(pms_id, number, "pre-arrival")).status_code
                    == 200
                )
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert scheduler.tick() == 1
        with django_connected_as(settings.DB_APP_ROLE):
            assert (
                post(Client(), hotel, secret, room("R-101", "101", "cancelled")).status_code == 200
            )
        traveller.move_to(at(28, 10, 0, 1) - a_year_earlier)
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert queue.run_once() == 1

    with acting_for_tenant(hotel.tenant.id):
        assert list(MessageLog.objects.values_list("body", "status")) == [
            (f"Room 102 is ready.{OPT_OUT_LINE}", "sent")
        ]


def _push_stay(hotel: factories.Hotel, check_out: str) -> None:
    event = {
        "type": "reservation.upserted",
        "reservation": {
            "id": "R-EXT",
            "status": "pre-arrival",
            "check_in": "2027-03-29",
            "check_out": check_out,
            "room_number": "101",
            "guest": {"id": "G-EXT", "first_name": "Siti", "phone": "+6281234560001"},
        },
    }
    apply_push(hotel.tenant, PushEvent.model_validate(event))


def test_a_stay_extended_after_its_pre_arrival_went_gets_no_second_one(
    hotel: factories.Hotel,
) -> None:
    """The trip's key changes with its dates; the reason for the message does not."""
    with time_machine.travel(at(27, 8), tick=False) as traveller:
        _push_stay(hotel, "2027-03-31")
        assert scheduler.tick() == 1
        traveller.move_to(at(28, 10, 0, 1))
        queue.run_once()
        traveller.move_to(at(28, 12))
        _push_stay(hotel, "2027-04-01")  # one more night, the day before arrival

        assert scheduler.tick() == 0
        traveller.move_to(at(28, 12, 1))
        queue.run_once()

    assert MessageLog.objects.filter(origin="pre-arrival", status="sent").count() == 1
