"""The guest journey a hotel shapes (messaging.journey, /settings/journey/): each touchpoint at
the hotel's own, non-default timing, in two hotel time zones (Jakarta, UTC+7; London in summer,
UTC+1), by time travel with the real quiet hours (21:00 to 09:00); a new timing moves the
messages already waiting; a one-night stay gets no mid-stay check; booking confirmations for new
bookings only, never for the first import."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.test import Client

from automation import queue, scheduler
from automation.models import AutomationJob, JobStatus
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.defaults import seed_default_templates
from messaging.models import JourneySettings, MessageLog, MessageTemplate, Trigger
from pms.push import PushEvent, apply_push
from pms.sync import sync_reservations
from tenancy.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Per hotel zone, a guest whose phone says they live in it (Indonesian mobile numbers span three
# zones: such a guest is on the hotel's clock).
ZONES = {"Asia/Jakarta": "+6281234560001", "Europe/London": "+447911123456"}
NEW_YORK_GUEST = "+12125550123"
# A summer week: London is on BST (UTC+1), so no zone here is UTC.
MONDAY = dt.date(2027, 7, 5)


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def local(zone: str, on: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A wall-clock moment in `zone`, as the UTC instant."""
    moment = dt.datetime(on.year, on.month, on.day, hour, minute, second, tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


@pytest.fixture(params=sorted(ZONES))
def hotel(request: pytest.FixtureRequest, hotel_a: factories.Hotel, settings) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.APP_URL = "http://testserver"
    hotel_a.tenant.time_zone = request.param
    hotel_a.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel_a.tenant)
    # The hotel's own timings: none of them the default.
    JourneySettings.objects.create(
        tenant=hotel_a.tenant,
        pre_arrival_days_before=3,
        pre_arrival_time=dt.time(9, 30),
        on_stay_delay_hours=2,
        mid_stay_time=dt.time(10, 15),
        checkout_reminder_time=dt.time(19, 30),
        post_stay_days_after=2,
        post_stay_time=dt.time(11, 0),
        checkout_time=dt.time(11, 0),
        late_checkout_offer="Late checkout until 14:00 is free: reply LATE.",
    )
    return hotel_a


def zone(hotel: factories.Hotel) -> str:
    return hotel.tenant.time_zone


def stay(
    hotel: factories.Hotel,
    pms_id: str,
    check_in: dt.date,
    check_out: dt.date,
    status: str = ReservationStatus.PRE_ARRIVAL,
    phone: str = "",
    **fields: Any,
) -> Reservation:
    guest = Guest.objects.create(
        tenant=hotel.tenant,
        pms_guest_id=f"g-{pms_id}",
        first_name="Siti",
        phone_e164=phone or ZONES[zone(hotel)],
        language="en",
    )
    return Reservation.objects.create(
        tenant=hotel.tenant,
        guest=guest,
        pms_reservation_id=pms_id,
        status=status,
        check_in=check_in,
        check_out=check_out,
        room_number="214",
        **fields,
    )


def push(hotel: factories.Hotel, pms_id: str, status: str, check_in: dt.date, out: dt.date) -> None:
    apply_push(
        hotel.tenant,
        PushEvent.model_validate(
            {
                "type": "reservation.upserted",
                "reservation": {
                    "id": pms_id,
                    "status": status,
                    "check_in": check_in.isoformat(),
                    "check_out": out.isoformat(),
                    "room_number": "214",
                    "guest": {
                        "id": f"g-{pms_id}",
                        "first_name": "Siti",
                        "phone": ZONES[zone(hotel)],
                    },
                },
            }
        ),
    )


def job_of(reservation: Reservation, trigger: str) -> AutomationJob:
    return AutomationJob.objects.get(reservation=reservation, payload__trigger=trigger)


def sent(reservation: Reservation, trigger: str) -> list[MessageLog]:
    return list(MessageLog.objects.filter(reservation=reservation, origin=trigger, status="sent"))


def goes_at(
    traveller: Any, reservation: Reservation, trigger: str, planned: dt.datetime
) -> MessageLog:
    """The job waits for exactly `planned`: nothing a second before, the message a second after."""
    job = job_of(reservation, trigger)
    assert job.run_at == planned
    traveller.move_to(planned - dt.timedelta(seconds=1))
    queue.run_once()
    assert not sent(reservation, trigger), "not before its time"
    traveller.move_to(planned + dt.timedelta(seconds=1))
    queue.run_once()
    [message] = sent(reservation, trigger)
    return message


# --- each touchpoint at the hotel's timing, in both zones ----------------------------------------


def test_pre_arrival_goes_the_chosen_days_before_at_the_chosen_time(hotel) -> None:
    guest = stay(hotel, "P1", day(7), day(9))
    with time_machine.travel(local(zone(hotel), day(0), 12), tick=False) as traveller:
        assert scheduler.tick() == 0, "a week ahead: not yet"
        traveller.move_to(local(zone(hotel), day(3), 8))
        assert scheduler.tick() == 1
        assert scheduler.tick() == 0, "once per trip"
        # 3 days before arrival, 09:30 on the guest's (here: the hotel's) clock.
        goes_at(traveller, guest, Trigger.PRE_ARRIVAL, local(zone(hotel), day(4), 9, 30))


def test_the_welcome_goes_the_chosen_hours_after_check_in(hotel) -> None:
    with time_machine.travel(local(zone(hotel), day(0), 14), tick=False) as traveller:
        push(hotel, "W1", "pre-arrival", day(0), day(2))
        push(hotel, "W1", "on-stay", day(0), day(2))  # checked in at 14:00
        guest = Reservation.objects.get(pms_reservation_id="W1")
        message = goes_at(traveller, guest, Trigger.ON_STAY, local(zone(hotel), day(0), 16))
    assert "Welcome" in message.body


def test_the_mid_stay_check_goes_the_morning_after_the_first_night(hotel) -> None:
    guest = stay(hotel, "M1", day(0), day(3), status=ReservationStatus.ON_STAY)
    with time_machine.travel(local(zone(hotel), day(0), 15), tick=False) as traveller:
        assert scheduler.tick() == 1
        message = goes_at(traveller, guest, Trigger.MID_STAY, local(zone(hotel), day(1), 10, 15))
    assert message.body.startswith("Good morning Siti! How is everything")


def test_a_one_night_stay_gets_no_mid_stay_check(hotel) -> None:
    one_night = stay(hotel, "N1", day(0), day(1), status=ReservationStatus.ON_STAY)
    two_nights = stay(hotel, "N2", day(0), day(2), status=ReservationStatus.ON_STAY)
    with time_machine.travel(local(zone(hotel), day(0), 15), tick=False) as traveller:
        scheduler.tick()
        traveller.move_to(local(zone(hotel), day(1), 10, 15, 1))
        scheduler.tick()
        queue.run_once()
    assert not AutomationJob.objects.filter(reservation=one_night, payload__trigger="mid-stay")
    assert not MessageLog.objects.filter(reservation=one_night, origin="mid-stay")
    assert len(sent(two_nights, Trigger.MID_STAY)) == 1


def test_the_checkout_reminder_goes_the_evening_before_with_the_checkout_time(hotel) -> None:
    guest = stay(hotel, "C1", day(0), day(3), status=ReservationStatus.ON_STAY)
    with time_machine.travel(local(zone(hotel), day(1), 12), tick=False) as traveller:
        scheduler.tick()
        assert not AutomationJob.objects.filter(reservation=guest, payload__trigger="checkout")
        traveller.move_to(local(zone(hotel), day(2), 9, 30))
        scheduler.tick()
        message = goes_at(traveller, guest, Trigger.CHECKOUT, local(zone(hotel), day(2), 19, 30))
    assert "checkout is tomorrow at 11:00\u202fAM" in message.body
    assert "Late checkout until 14:00 is free: reply LATE." in message.body


def test_the_thank_you_goes_the_chosen_days_after_departure(hotel) -> None:
    guest = stay(hotel, "T1", day(0), day(2), status=ReservationStatus.CHECKED_OUT)
    with time_machine.travel(local(zone(hotel), day(2), 12), tick=False) as traveller:
        assert scheduler.tick() == 1
        message = goes_at(traveller, guest, Trigger.POST_STAY, local(zone(hotel), day(4), 11))
    assert "http://testserver/feedback/" in message.body


def test_before_arrival_the_guests_clock_counts_in_the_house_the_hotels(hotel) -> None:
    """A New Yorker (UTC-4 in July): pre-arrival at 09:30 in New York, the mid-stay check at
    10:15 at the hotel."""
    coming = stay(hotel, "G1", day(7), day(9), phone=NEW_YORK_GUEST)
    in_house = stay(hotel, "G2", day(3), day(6), ReservationStatus.ON_STAY, NEW_YORK_GUEST)
    with time_machine.travel(local(zone(hotel), day(3), 15), tick=False):
        scheduler.tick()
    assert job_of(coming, "pre-arrival").run_at == local("America/New_York", day(4), 9, 30)
    assert job_of(in_house, "mid-stay").run_at == local(zone(hotel), day(4), 10, 15)


def test_a_touchpoint_switched_off_queues_nothing(hotel) -> None:
    MessageTemplate.objects.filter(tenant=hotel.tenant, trigger="mid-stay").update(is_active=False)
    guest = stay(hotel, "O1", day(0), day(3), status=ReservationStatus.ON_STAY)
    with time_machine.travel(local(zone(hotel), day(0), 15), tick=False):
        assert scheduler.tick() == 0
    assert not AutomationJob.objects.filter(reservation=guest)


def test_a_message_waiting_when_its_touchpoint_is_switched_off_is_not_sent(hotel) -> None:
    # A thank-you may wait days after it is queued; an owner who switches it off meanwhile
    # means no more thank-yous, including those already waiting.
    guest = stay(hotel, "O2", day(0), day(2), status=ReservationStatus.CHECKED_OUT)
    with time_machine.travel(local(zone(hotel), day(2), 12), tick=False) as traveller:
        assert scheduler.tick() == 1
        MessageTemplate.objects.filter(tenant=hotel.tenant, trigger="post-stay").update(
            is_active=False
        )
        traveller.move_to(local(zone(hotel), day(4), 11, 30))  # when it was due
        queue.run_once()
    job = job_of(guest, "post-stay")
    assert job.status == JobStatus.SUCCEEDED
    assert job.payload["result"] == {"skipped": "the message was switched off"}
    assert not sent(guest, Trigger.POST_STAY)


# --- missed-trigger rules at send time -----------------------------------------------------------


def test_a_mid_stay_check_held_past_the_morning_is_not_sent(hotel) -> None:
    guest = stay(hotel, "L1", day(0), day(3), status=ReservationStatus.ON_STAY)
    with time_machine.travel(local(zone(hotel), day(0), 15), tick=False) as traveller:
        scheduler.tick()
        traveller.move_to(local(zone(hotel), day(1), 12, 30))  # the worker was down all morning
        queue.run_once()
    job = job_of(guest, "mid-stay")
    assert job.status == JobStatus.SUCCEEDED
    assert "morning after the first night" in job.payload["result"]["skipped"]
    assert not sent(guest, Trigger.MID_STAY)


def test_a_checkout_reminder_for_a_guest_who_left_early_is_not_sent(hotel) -> None:
    guest = stay(hotel, "L2", day(0), day(3), status=ReservationStatus.ON_STAY)
    with time_machine.travel(local(zone(hotel), day(2), 10), tick=False) as traveller:
        scheduler.tick()
        Reservation.objects.filter(pk=guest.pk).update(status=ReservationStatus.CHECKED_OUT)
        traveller.move_to(local(zone(hotel), day(2), 19, 31))
        queue.run_once()
    assert job_of(guest, "checkout").payload["result"] == {
        "skipped": "the reservation is checked-out now"
    }


# --- changing a timing moves the waiting messages ------------------------------------------------


def journey_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pre_arrival_days_before": 3,
        "pre_arrival_time": "09:30",
        "on_stay_delay_hours": 2,
        "mid_stay_time": "10:15",
        "checkout_reminder_time": "19:30",
        "post_stay_days_after": 2,
        "post_stay_time": "11:00",
        "checkout_time": "11:00",
        "late_checkout_offer": "",
        **{f"on_{trigger}": "on" for trigger in Trigger.values},
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_changing_a_timing_moves_the_waiting_messages_and_only_those(hotel, client: Client) -> None:
    arriving = stay(hotel, "MOVE-1", day(7), day(9))
    leaving = stay(hotel, "MOVE-2", day(1), day(4), status=ReservationStatus.ON_STAY)
    done = stay(hotel, "MOVE-3", day(5), day(6))
    with time_machine.travel(local(zone(hotel), day(3), 10), tick=False):
        scheduler.tick()
        assert job_of(arriving, "pre-arrival").run_at == local(zone(hotel), day(4), 9, 30)
        AutomationJob.objects.filter(reservation=done).update(status=JobStatus.SUCCEEDED)
        done_at = job_of(done, "pre-arrival").run_at
        reminder_at = job_of(leaving, "checkout").run_at
        client.force_login(hotel.owner)  # a session of that day
        response = client.post(
            "/settings/journey/",
            journey_form(pre_arrival_days_before=2, pre_arrival_time="14:45"),
        )
    assert response.status_code == 302 and response["Location"] == "/settings/journey/"
    assert job_of(arriving, "pre-arrival").run_at == local(zone(hotel), day(5), 14, 45)
    assert job_of(done, "pre-arrival").run_at == done_at, "a finished job stays as it was"
    assert job_of(leaving, "checkout").run_at == reminder_at, "its timing did not change"
    assert AuditEntry.objects.filter(tenant=hotel.tenant, event="journey.changed").exists()


def test_a_time_in_the_quiet_hours_is_refused_and_nothing_changes(hotel, client: Client) -> None:
    client.force_login(hotel.owner)
    response = client.post("/settings/journey/", journey_form(checkout_reminder_time="22:30"))
    assert response.status_code == 400
    assert "22:30 is in the quiet hours" in response.content.decode()
    response = client.post("/settings/journey/", journey_form(mid_stay_time="13:00"))
    assert "The mid-stay check goes in the morning" in response.content.decode()
    settings = JourneySettings.objects.get(tenant=hotel.tenant)
    assert settings.checkout_reminder_time == dt.time(19, 30)


@pytest.mark.parametrize(
    "data",
    [
        {},
        journey_form(pre_arrival_days_before="soon"),
        journey_form(pre_arrival_days_before="99", on_stay_delay_hours="-1"),
        journey_form(mid_stay_time="25:99", late_checkout_offer="x" * 1000),
        journey_form(post_stay_time="\x00"),
        # Past 14 days the feedback link (30 days after checkout) would expire before the
        # follow-up and the guest's answer.
        journey_form(post_stay_days_after="15"),
    ],
)
def test_bad_input_is_a_clear_400_and_changes_nothing(
    hotel, client: Client, data: dict[str, Any]
) -> None:
    client.force_login(hotel.owner)
    assert client.post("/settings/journey/", data).status_code == 400
    settings = JourneySettings.objects.get(tenant=hotel.tenant)
    assert (settings.pre_arrival_days_before, settings.mid_stay_time) == (3, dt.time(10, 15))


def test_the_page_switches_a_touchpoint_off_and_on(hotel, client: Client) -> None:
    client.force_login(hotel.owner)
    client.post("/settings/journey/", journey_form(**{"on_mid-stay": None}))
    mid_stay = MessageTemplate.objects.get(tenant=hotel.tenant, trigger="mid-stay")
    assert not mid_stay.is_active
    assert AuditEntry.objects.filter(tenant=hotel.tenant, event="templates.sending_off").exists()
    page = client.get("/settings/journey/").content.decode()
    assert 'name="on_mid-stay"' in page and "/settings/templates/?trigger=mid-stay" in page
    assert "Quiet hours: 21:00–09:00." in page

    client.post("/settings/journey/", journey_form())
    mid_stay.refresh_from_db()
    assert mid_stay.is_active
    assert AuditEntry.objects.filter(tenant=hotel.tenant, event="templates.sending_on").exists()


def test_staff_may_not_change_the_journey(hotel, client: Client) -> None:
    client.force_login(hotel.staff)
    assert client.post("/settings/journey/", journey_form(mid_stay_time="11:00")).status_code == 403
    assert JourneySettings.objects.get(tenant=hotel.tenant).mid_stay_time == dt.time(10, 15)


@pytest.mark.parametrize(
    ("language", "title", "touchpoint", "field"),
    [
        ("en", "Guest journey", "Mid-stay check", "Days after departure"),
        ("id", "Perjalanan tamu", "Cek di tengah menginap", "Hari setelah keberangkatan"),
    ],
)
def test_the_page_speaks_both_languages(
    hotel_a: factories.Hotel, client: Client, language: str, title: str, touchpoint: str, field: str
) -> None:
    hotel_a.owner.ui_language = language
    hotel_a.owner.save(update_fields=["ui_language"])
    client.force_login(hotel_a.owner)
    page = client.get("/settings/journey/").content.decode()
    assert f"<h1>{title}</h1>" in page and touchpoint in page and field in page


# --- the booking confirmation --------------------------------------------------------------------


def test_a_new_booking_is_confirmed_but_not_the_bookings_of_the_first_import(hotel) -> None:
    from pms.models import PMSConfiguration

    PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    with time_machine.travel(local(zone(hotel), day(0), 11), tick=False) as traveller:
        phone = ZONES[zone(hotel)]
        first_import = factories.StaysAdapter(
            [factories.pms_stay("OLD1", "g1", phone=phone)],
            [factories.pms_stay("OLD2", "g2", phone=phone)],
        )
        sync_reservations(hotel.tenant, first_import, day(0), day(30))
        assert not AutomationJob.objects.filter(payload__trigger="booked")

        traveller.move_to(local(zone(hotel), day(0), 11, 15))
        later_sync = factories.StaysAdapter(
            [
                factories.pms_stay("OLD1", "g1", phone=phone),
                factories.pms_stay("NEW1", "g3", phone=phone),
            ]
        )
        sync_reservations(hotel.tenant, later_sync, day(0), day(30))
        push(hotel, "NEW2", "pre-arrival", day(10), day(12))
        push(hotel, "TODAY", "pre-arrival", day(0), day(1))  # walks in: no confirmation
        queue.run_once()
    confirmed = MessageLog.objects.filter(origin="booked", status="sent")
    assert sorted(m.reservation.pms_reservation_id for m in confirmed) == ["NEW1", "NEW2"]
    assert "thank you for booking" in confirmed[0].body


# --- upgrading: the new touchpoints arrive switched off ------------------------------------------


def test_existing_hotels_get_the_new_touchpoints_switched_off(hotel_a: factories.Hotel) -> None:
    migration = importlib.import_module(
        "messaging.migrations.0011_new_touchpoint_templates_switched_off"
    )
    MessageTemplate.objects.create(tenant=hotel_a.tenant, trigger="pre-arrival", name="Mine")
    migration.add_switched_off(apps, None)
    new = MessageTemplate.objects.filter(
        tenant=hotel_a.tenant, trigger__in=["booked", "mid-stay", "checkout"]
    )
    assert sorted(new.values_list("trigger", "is_active")) == [
        ("booked", False),
        ("checkout", False),
        ("mid-stay", False),
    ]
    assert all(template.variants.count() == 2 for template in new)


# --- the automation page: both clocks ------------------------------------------------------------


def test_the_automation_page_shows_the_guests_time_beside_the_hotels(hotel, client: Client) -> None:
    stay(hotel, "A1", day(7), day(9), phone=NEW_YORK_GUEST)
    with time_machine.travel(local(zone(hotel), day(3), 15), tick=False):
        scheduler.tick()
        client.force_login(hotel.owner)
        page = client.get("/automation/?state=queued").content.decode()
    hotel_clock = local("America/New_York", day(4), 9, 30).astimezone(ZoneInfo(zone(hotel)))
    assert hotel_clock.strftime("%H:%M") in page
    assert "09:30" in page and "America/New_York" in page
