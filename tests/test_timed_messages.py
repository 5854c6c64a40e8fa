"""Time-travel tests of the timed messages: local send times across time zones and a daylight-
saving change, quiet hours in the right zone, and cancellations that cancel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from automation import queue, scheduler
from automation.models import AutomationJob, JobStatus
from hotel.models import Guest, Reservation
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from tests import factories

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends
    hotel_a.tenant.time_zone = "Asia/Jakarta"
    hotel_a.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel_a.tenant)
    return hotel_a


def arriving(
    hotel: factories.Hotel, pms_id: str, phone: str, check_in: dt.date, status: str = "pre-arrival"
) -> Reservation:
    guest = Guest.objects.create(
        tenant=hotel.tenant, pms_guest_id=f"g-{pms_id}", first_name="Guest", phone_e164=phone
    )
    return Reservation.objects.create(
        tenant=hotel.tenant,
        guest=guest,
        pms_reservation_id=pms_id,
        status=status,
        check_in=check_in,
        check_out=check_in + dt.timedelta(days=2),
    )


def job_for(reservation: Reservation) -> AutomationJob:
    return AutomationJob.objects.get(
        reservation=reservation, idempotency_key__endswith="pre-arrival"
    )


def test_pre_arrival_goes_at_ten_local_time_across_zones_and_a_dst_change(hotel) -> None:
    # Europe moves its clocks forward on Sunday 28 March 2027 at 01:00 UTC.
    berlin = arriving(hotel, "B1", "+4915112345601", dt.date(2027, 3, 29))
    jakarta = arriving(hotel, "J1", "+6281234560001", dt.date(2027, 3, 29))
    with time_machine.travel(dt.datetime(2027, 3, 27, 0, 0, tzinfo=UTC)):
        assert scheduler.tick() == 2
        assert scheduler.tick() == 0, "once per reservation"

    assert job_for(berlin).run_at == dt.datetime(2027, 3, 28, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert job_for(jakarta).run_at == dt.datetime(2027, 3, 28, 3, 0, tzinfo=UTC)  # 10:00 WIB


def test_the_message_goes_out_when_due_and_not_before(hotel) -> None:
    guest = arriving(hotel, "J2", "+6281234560001", dt.date(2027, 3, 29))
    with time_machine.travel(dt.datetime(2027, 3, 27, 0, 0, tzinfo=UTC), tick=False) as traveller:
        scheduler.tick()
        assert queue.run_once() == 0
        traveller.move_to(dt.datetime(2027, 3, 28, 3, 0, 1, tzinfo=UTC))
        assert queue.run_once() == 1
    message = MessageLog.objects.get(reservation=guest)
    assert message.origin == "pre-arrival" and message.status == "sent"


def test_quiet_hours_defer_in_the_guests_zone_before_arrival(hotel) -> None:
    guest = arriving(hotel, "J3", "+6281234560001", dt.date(2027, 3, 29))
    with time_machine.travel(dt.datetime(2027, 3, 27, 0, 0, tzinfo=UTC), tick=False) as traveller:
        scheduler.tick()
        job = job_for(guest)
        # Someone retries it by hand at 22:00 in Jakarta.
        AutomationJob.objects.filter(pk=job.pk).update(
            run_at=dt.datetime(2027, 3, 27, 15, 0, tzinfo=UTC)
        )
        traveller.move_to(dt.datetime(2027, 3, 27, 15, 0, 1, tzinfo=UTC))
        assert queue.run_once() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 0
    assert job.run_at == dt.datetime(2027, 3, 28, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
    assert not MessageLog.objects.filter(reservation=guest).exists()


def test_during_the_stay_the_hotels_quiet_hours_count(hotel) -> None:
    from hotel.models import StatusTransition
    from messaging import triggers

    # A guest from Berlin, in house in Jakarta: 22:00 at the hotel is 16:00 at home.
    stay = arriving(hotel, "B2", "+4915112345601", dt.date(2027, 3, 27), status="on-stay")
    with time_machine.travel(dt.datetime(2027, 3, 27, 15, 0, tzinfo=UTC), tick=False):
        transition = StatusTransition.objects.create(
            tenant=hotel.tenant,
            reservation=stay,
            from_status="pre-arrival",
            to_status="on-stay",
            source="test",
        )
        triggers.jobs_for(hotel.tenant, [transition])
        queue.run_once()
    job = AutomationJob.objects.get(reservation=stay)
    assert job.status == JobStatus.QUEUED and job.run_at == dt.datetime(
        2027, 3, 28, 2, 0, tzinfo=UTC
    )


def test_a_cancellation_before_the_send_time_cancels_the_message(hotel) -> None:
    from pms.push import PushEvent, apply_push

    guest = arriving(hotel, "J4", "+6281234560001", dt.date(2027, 3, 29))
    with time_machine.travel(dt.datetime(2027, 3, 27, 0, 0, tzinfo=UTC), tick=False) as traveller:
        scheduler.tick()
        apply_push(
            hotel.tenant,
            PushEvent.model_validate(
                {
                    "type": "reservation.upserted",
                    "reservation": {
                        "id": "J4",
                        "status": "cancelled",
                        "check_in": "2027-03-29",
                        "check_out": "2027-03-31",
                        "guest": {"id": "g-J4", "phone": "+6281234560001"},
                    },
                }
            ),
        )
        traveller.move_to(dt.datetime(2027, 3, 28, 4, 0, tzinfo=UTC))
        assert queue.run_once() == 0
    assert job_for(guest).status == JobStatus.CANCELLED
    assert not MessageLog.objects.filter(reservation=guest).exists()


def test_a_booking_for_today_gets_no_pre_arrival_message(hotel) -> None:
    arriving(hotel, "J5", "+6281234560001", dt.date(2027, 3, 27))
    with time_machine.travel(dt.datetime(2027, 3, 27, 1, 0, tzinfo=UTC)):
        assert scheduler.tick() == 0


def test_an_early_check_in_skips_the_pre_arrival_message(hotel) -> None:
    guest = arriving(hotel, "J6", "+6281234560001", dt.date(2027, 3, 29))
    with time_machine.travel(dt.datetime(2027, 3, 27, 0, 0, tzinfo=UTC), tick=False) as traveller:
        scheduler.tick()
        Reservation.objects.filter(pk=guest.pk).update(status="on-stay")
        traveller.move_to(dt.datetime(2027, 3, 28, 3, 0, 1, tzinfo=UTC))
        queue.run_once()
    assert job_for(guest).status == JobStatus.SUCCEEDED
    assert not MessageLog.objects.filter(reservation=guest).exists()
