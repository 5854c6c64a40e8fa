"""The journey as production runs it: the scheduler's tick as innbox_worker under row-level
security, with the real quiet hours and each hotel's own timings; the settings page as
innbox_app, moving waiting messages. (The clock travels to a past March, so the database's own
clock finds every job due.)"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from automation import queue, scheduler
from automation.models import AutomationJob
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.defaults import seed_default_templates
from messaging.models import JourneySettings, MessageLog
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
UTC = dt.UTC


def local(zone: str, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def hotel_in(name: str, zone: str, phone: str, **timings: Any) -> tuple[factories.Hotel, dict]:
    hotel = factories.make_hotel(name)
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        hotel.tenant.time_zone = zone
        hotel.tenant.save(update_fields=["time_zone"])
        seed_default_templates(hotel.tenant)
        JourneySettings.objects.create(tenant=hotel.tenant, **timings)
        stays = {}
        for pms_id, status, check_in, nights in [
            ("MID", ReservationStatus.ON_STAY, dt.date(2026, 3, 10), 3),
            ("OUT", ReservationStatus.ON_STAY, dt.date(2026, 3, 9), 2),
            ("ONE", ReservationStatus.ON_STAY, dt.date(2026, 3, 10), 1),
            ("GONE", ReservationStatus.CHECKED_OUT, dt.date(2026, 3, 8), 2),
        ]:
            guest = Guest.objects.create(
                tenant=hotel.tenant, pms_guest_id=f"g-{pms_id}", first_name="Siti", phone_e164=phone
            )
            stays[pms_id] = Reservation.objects.create(
                tenant=hotel.tenant,
                guest=guest,
                pms_reservation_id=pms_id,
                status=status,
                check_in=check_in,
                check_out=check_in + dt.timedelta(days=nights),
            )
    return hotel, stays


def test_the_worker_role_queues_and_sends_each_hotels_journey_at_its_own_times(settings) -> None:
    settings.WAHA_BASE_URL = None
    jakarta, at_jakarta = hotel_in(
        "Hotel Jakarta", "Asia/Jakarta", "+6281234560001", mid_stay_time=dt.time(9, 45)
    )
    new_york, _ = hotel_in(
        "Hotel New York",
        "America/New_York",
        "+12125550123",
        checkout_reminder_time=dt.time(17, 15),
        mid_stay_time=dt.time(10, 30),
    )
    # 10 March, 20:00 in New York = 11 March, 07:00 in Jakarta: one tick, two hotels' days.
    with time_machine.travel(local("America/New_York", 10, 20), tick=False) as traveller:
        with django_connected_as(settings.DB_WORKER_ROLE):
            queued = scheduler.tick()
        with acting_for_tenant(jakarta.tenant.id):
            jakarta_jobs = {
                j.reservation.pms_reservation_id: (j.payload["trigger"], j.run_at)
                for j in AutomationJob.objects.filter(
                    tenant=jakarta.tenant, reservation__isnull=False
                )
                .exclude(reservation=jakarta.reservation)
                .select_related("reservation")
            }
        with acting_for_tenant(new_york.tenant.id):
            new_york_jobs = {
                j.reservation.pms_reservation_id: (j.payload["trigger"], j.run_at)
                for j in AutomationJob.objects.filter(
                    tenant=new_york.tenant, reservation__isnull=False
                )
                .exclude(reservation=new_york.reservation)
                .select_related("reservation")
            }
        assert jakarta_jobs == {
            "MID": ("mid-stay", local("Asia/Jakarta", 11, 9, 45)),
            "GONE": ("post-stay", local("Asia/Jakarta", 11, 10)),
        }, "the 11th already in Jakarta: OUT's checkout day, too late for its reminder"
        # 20:00 is past New York's 17:15 reminder time: the reminder goes now, before quiet hours.
        assert new_york_jobs == {
            "MID": ("mid-stay", local("America/New_York", 11, 10, 30)),
            "OUT": ("checkout", local("America/New_York", 10, 20)),
            "ONE": ("checkout", local("America/New_York", 10, 20)),
            "GONE": ("post-stay", local("America/New_York", 11, 10)),
        }
        assert queued == 6, "no mid-stay check for the one-night stays"

        # The worker sends Jakarta's check at its time. (The database's clock finds New York's
        # jobs due too: what they do at this moment is for the SQLite time-travel tests.)
        traveller.move_to(local("Asia/Jakarta", 11, 9, 45) + dt.timedelta(seconds=1))
        with django_connected_as(settings.DB_WORKER_ROLE):
            queue.run_once()
    with acting_for_tenant(jakarta.tenant.id):
        message = MessageLog.objects.get(reservation=at_jakarta["MID"])
        assert message.origin == "mid-stay" and message.status == "sent"
        assert not MessageLog.objects.filter(reservation=at_jakarta["ONE"]).exists()


def test_the_app_role_saves_the_journey_and_moves_waiting_messages(settings) -> None:
    hotel, stays = hotel_in("Hotel Alpha", "Asia/Jakarta", "+6281234560001")
    with time_machine.travel(local("Asia/Jakarta", 10, 15), tick=False):
        with django_connected_as(settings.DB_WORKER_ROLE):
            scheduler.tick()
        client = Client()
        client.force_login(hotel.owner)
        with django_connected_as(settings.DB_APP_ROLE):
            response = client.post(
                "/settings/journey/",
                {
                    "pre_arrival_days_before": 1,
                    "pre_arrival_time": "10:00",
                    "on_stay_delay_hours": 0,
                    "mid_stay_time": "11:30",
                    "checkout_reminder_time": "18:00",
                    "post_stay_days_after": 1,
                    "post_stay_time": "10:00",
                    "checkout_time": "12:00",
                    "late_checkout_offer": "",
                    "on_mid-stay": "on",
                    "on_checkout": "on",
                },
            )
    assert response.status_code == 302
    with acting_for_tenant(hotel.tenant.id):
        moved = AutomationJob.objects.get(reservation=stays["MID"], payload__trigger="mid-stay")
        assert moved.run_at == local("Asia/Jakarta", 11, 11, 30)
        assert JourneySettings.objects.get(tenant=hotel.tenant).mid_stay_time == dt.time(11, 30)


def test_a_booking_pushed_after_the_first_import_is_confirmed_as_the_app_role(settings) -> None:
    """The web app's role, behind the signed webhook, decides a booking is new (the hotel's PMS
    finished a sync before) and queues its confirmation in the event's transaction."""
    from pms import webhook as pms_webhook
    from pms.models import PMSConfiguration, SyncRun, SyncStatus
    from tests.helpers import post

    hotel, _ = hotel_in("Hotel Alpha", "Asia/Jakarta", "+6281234560001")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    booking = {
        "type": "reservation.upserted",
        "reservation": {
            "id": "NEW-1",
            "status": "pre-arrival",
            "check_in": "2026-03-20",
            "check_out": "2026-03-22",
            "guest": {"id": "g-new", "first_name": "Rina", "phone": "+6281234560002"},
        },
    }
    with time_machine.travel(local("Asia/Jakarta", 10, 11), tick=False):
        with django_connected_as(settings.DB_APP_ROLE):
            assert post(Client(), hotel, secret, booking).status_code == 200
        with acting_for_tenant(hotel.tenant.id):
            assert not AutomationJob.objects.filter(payload__trigger="booked").exists(), (
                "no import finished yet: part of the backlog"
            )
            SyncRun.objects.create(
                tenant=hotel.tenant,
                provider="demo",
                status=SyncStatus.SUCCEEDED,
                range_start=dt.date(2026, 3, 1),
                range_end=dt.date(2026, 4, 1),
            )
        booking["reservation"] |= {"id": "NEW-2", "guest": {"id": "g-2", "phone": "+6281234560003"}}
        with django_connected_as(settings.DB_APP_ROLE):
            assert post(Client(), hotel, secret, booking).status_code == 200
    with acting_for_tenant(hotel.tenant.id):
        confirmations = AutomationJob.objects.filter(payload__trigger="booked")
        assert [job.reservation.pms_reservation_id for job in confirmations] == ["NEW-2"]
