"""The stay moves on while a message waits: at send time every automated message asks again
whether it still fits (a welcome never goes after checkout), and the thank-you follows the day
the guest actually left, not the day they planned to. Time travel, real quiet hours (21:00 to
09:00), a hotel in Jakarta (UTC+7)."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client

from automation import queue, scheduler
from automation.models import AutomationJob, JobStatus
from hotel.models import Guest, Reservation, StatusTransition
from messaging import triggers
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from pms.push import PushEvent, apply_push
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as, post

UTC = dt.UTC
JAKARTA = ZoneInfo("Asia/Jakarta")
PHONE = "+6281234560001"  # an Indonesian guest: their zone is the hotel's


def at(day: int, hour: int, minute: int = 0, second: int = 0, *, year: int = 2027) -> dt.datetime:
    """A moment of March (2027 unless told), hotel time (WIB, UTC+7), as the UTC instant."""
    return dt.datetime(year, 3, day, hour, minute, second, tzinfo=UTC) - dt.timedelta(hours=7)


def event(pms_id: str, status: str, check_in: dt.date, check_out: dt.date) -> dict[str, Any]:
    return {
        "type": "reservation.upserted",
        "reservation": {
            "id": pms_id,
            "status": status,
            "check_in": check_in.isoformat(),
            "check_out": check_out.isoformat(),
            "room_number": "214",
            "guest": {"id": f"g-{pms_id}", "first_name": "Siti", "phone": PHONE},
        },
    }


def push(hotel: factories.Hotel, *args: Any) -> None:
    apply_push(hotel.tenant, PushEvent.model_validate(event(*args)))


def job_of(pms_id: str, trigger: str) -> AutomationJob:
    return AutomationJob.objects.get(
        reservation__pms_reservation_id=pms_id, payload__trigger=trigger
    )


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.APP_URL = "http://testserver"
    hotel_a.tenant.time_zone = "Asia/Jakarta"
    hotel_a.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel_a.tenant)
    return hotel_a


# --- defect 13: a queued welcome survives the end of the stay ---------------------------------


@pytest.mark.django_db
def test_a_night_check_in_whose_guest_leaves_before_the_morning_gets_no_welcome(
    hotel: factories.Hotel, client: Client
) -> None:
    stay = (dt.date(2027, 3, 27), dt.date(2027, 3, 28))
    with time_machine.travel(at(27, 23), tick=False) as traveller:
        push(hotel, "N1", "pre-arrival", *stay)
        push(hotel, "N1", "on-stay", *stay)  # checked in at 23:00
        assert queue.run_once() == 1
        welcome = job_of("N1", "on-stay")
        assert welcome.status == JobStatus.QUEUED and welcome.run_at == at(28, 9)  # quiet hours

        traveller.move_to(at(28, 7))
        push(hotel, "N1", "checked-out", *stay)  # an early flight
        traveller.move_to(at(28, 9, 0, 1))
        assert queue.run_once() == 1

    welcome.refresh_from_db()
    assert welcome.status == JobStatus.SUCCEEDED
    assert welcome.payload["result"] == {"skipped": "the reservation is checked-out now"}
    assert not MessageLog.objects.filter(reservation__pms_reservation_id="N1").exists()
    client.force_login(hotel.owner)
    page = client.get(
        f"/reservations/{Reservation.objects.get(pms_reservation_id='N1').public_id}/"
    )
    assert "Skipped: the reservation is checked out now" in page.content.decode()


def queued(hotel: factories.Hotel, pms_id: str, trigger: str) -> AutomationJob:
    reservation = Reservation.objects.get(pms_reservation_id=pms_id)
    triggers.queue_sends(hotel.tenant, trigger, [reservation], lambda _r: at(1, 10))
    return job_of(pms_id, trigger)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trigger", "status", "stay", "runs_at", "reason"),
    [
        # Still booked, but the message was held back until the arrival day itself.
        (
            "pre-arrival",
            "pre-arrival",
            (dt.date(2027, 3, 27), dt.date(2027, 3, 29)),
            at(27, 10),
            "the arrival day (2027-03-27) has come",
        ),
        # The PMS still says in house, but the stay ended days ago.
        (
            "on-stay",
            "on-stay",
            (dt.date(2027, 3, 20), dt.date(2027, 3, 23)),
            at(26, 10),
            "the stay ended on 2027-03-23",
        ),
        # The check-out was undone at the desk: the guest is still here.
        (
            "post-stay",
            "on-stay",
            (dt.date(2027, 3, 24), dt.date(2027, 3, 26)),
            at(27, 10),
            "the reservation is on-stay now",
        ),
    ],
)
def test_a_message_that_no_longer_fits_its_stay_is_skipped_with_the_reason(
    hotel: factories.Hotel,
    trigger: str,
    status: str,
    stay: tuple[dt.date, dt.date],
    runs_at: dt.datetime,
    reason: str,
) -> None:
    with time_machine.travel(runs_at, tick=False):
        push(hotel, "M1", status, *stay)
        job = queued(hotel, "M1", trigger)
        assert queue.run_once() == 1

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.payload["result"] == {"skipped": reason}
    assert not MessageLog.objects.exists()


@pytest.mark.django_db
def test_a_welcome_in_time_still_goes(hotel: factories.Hotel) -> None:
    stay = (dt.date(2027, 3, 27), dt.date(2027, 3, 28))
    with time_machine.travel(at(27, 23), tick=False) as traveller:
        push(hotel, "N2", "pre-arrival", *stay)
        push(hotel, "N2", "on-stay", *stay)
        queue.run_once()
        traveller.move_to(at(28, 9, 0, 1))  # the departure day's morning: still in the house
        queue.run_once()

    assert MessageLog.objects.get(reservation__pms_reservation_id="N2").status == "sent"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_role_skips_a_welcome_whose_guest_left_before_it_went(settings) -> None:
    """As production runs it: pushes through the signed webhook as the web app's role, the
    send as the worker's role, quiet hours on. (The clock travels to a past March, so the
    database's own clock finds every job due.)"""
    hotel = factories.make_hotel("Hotel Alpha")
    settings.WAHA_BASE_URL = None
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        hotel.tenant.time_zone = "Asia/Jakarta"
        hotel.tenant.save(update_fields=["time_zone"])
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    stay = (dt.date(2026, 3, 27), dt.date(2026, 3, 28))
    with time_machine.travel(at(27, 23, year=2026), tick=False) as traveller:
        with django_connected_as(settings.DB_APP_ROLE):
            assert (
                post(Client(), hotel, secret, event("P1", "pre-arrival", *stay)).status_code == 200
            )
            assert post(Client(), hotel, secret, event("P1", "on-stay", *stay)).status_code == 200
        # The 23:00 attempt defers to 09:00, and the worker lives on.
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert queue.run_once() == 1
        traveller.move_to(at(28, 7, year=2026))
        with django_connected_as(settings.DB_APP_ROLE):
            assert (
                post(Client(), hotel, secret, event("P1", "checked-out", *stay)).status_code == 200
            )
        traveller.move_to(at(28, 9, 0, 1, year=2026))
        with django_connected_as(settings.DB_WORKER_ROLE):
            assert queue.run_once() == 1

    with acting_for_tenant(hotel.tenant.id):
        welcome = job_of("P1", "on-stay")
        assert welcome.status == JobStatus.SUCCEEDED
        assert welcome.payload["result"] == {"skipped": "the reservation is checked-out now"}
        assert not MessageLog.objects.filter(reservation__pms_reservation_id="P1").exists()


# --- defect 14: early departures get their thank-you late -------------------------------------


@pytest.mark.django_db
def test_a_guest_who_leaves_two_days_early_is_thanked_the_next_morning(
    hotel: factories.Hotel, client: Client
) -> None:
    stay = (dt.date(2027, 3, 25), dt.date(2027, 3, 29))
    with time_machine.travel(at(25, 14), tick=False) as traveller:
        push(hotel, "E1", "pre-arrival", *stay)
        push(hotel, "E1", "on-stay", *stay)
        traveller.move_to(at(27, 11))
        push(hotel, "E1", "checked-out", *stay)  # two days early
        assert scheduler.tick() == 1
        thanks = job_of("E1", "post-stay")
        assert thanks.run_at == at(28, 10)  # the day after they left, at the send time
        traveller.move_to(at(28, 10, 0, 1))
        queue.run_once()

    assert MessageLog.objects.get(origin="post-stay").status == "sent"
    client.force_login(hotel.owner)
    page = client.get(
        f"/reservations/{Reservation.objects.get(pms_reservation_id='E1').public_id}/"
    )
    assert "Left on Sat 27 Mar 2027 (planned Mon 29 Mar 2027) · 2 nights" in page.content.decode()


@pytest.mark.django_db
def test_a_check_out_learnt_days_late_is_not_thanked_days_late(hotel: factories.Hotel) -> None:
    stay = (dt.date(2027, 3, 20), dt.date(2027, 3, 23))
    with time_machine.travel(at(20, 14), tick=False) as traveller:
        push(hotel, "L1", "pre-arrival", *stay)
        push(hotel, "L1", "on-stay", *stay)
        traveller.move_to(at(27, 11))  # the PMS connection was down for days
        push(hotel, "L1", "checked-out", *stay)
        assert scheduler.tick() == 0

    reservation = Reservation.objects.get(pms_reservation_id="L1")
    assert reservation.departed_at == at(27, 11)
    assert reservation.departure_day(JAKARTA) == stay[1], "the planned day, not a later one"


@pytest.mark.django_db
def test_the_migration_fills_in_when_guests_already_checked_out_left(
    hotel: factories.Hotel,
) -> None:
    migration = importlib.import_module(
        "hotel.migrations.0014_actual_departure_and_pms_change_time"
    )
    guest = Guest.objects.create(tenant=hotel.tenant, pms_guest_id="g-old", phone_e164=PHONE)
    left, seen_gone = (
        Reservation.objects.create(
            tenant=hotel.tenant,
            guest=guest,
            pms_reservation_id=pms_id,
            status="checked-out",
            check_in=dt.date(2027, 3, 20),
            check_out=dt.date(2027, 3, 25),
        )
        for pms_id in ("B1", "B2")
    )
    moves = [
        (left, "on-stay", "checked-out", at(23, 11)),
        (seen_gone, "", "checked-out", at(24, 8)),
    ]
    for reservation, before, after, when in moves:
        transition = StatusTransition.objects.create(
            tenant=hotel.tenant,
            reservation=reservation,
            from_status=before,
            to_status=after,
            source="test",
        )
        StatusTransition.objects.filter(pk=transition.pk).update(occurred_at=when)

    migration.backfill_departures(apps, SimpleNamespace(connection=connection))

    left.refresh_from_db()
    seen_gone.refresh_from_db()
    assert left.departed_at == at(23, 11)
    assert seen_gone.departed_at is None, "first seen already gone: when they left is unknown"


@pytest.mark.django_db
def test_staff_see_a_skipped_message_as_skipped_with_its_reason(
    hotel: factories.Hotel, client: Client
) -> None:
    """Not a green "Succeeded": nothing went out, and the pages say why."""
    from django.urls import reverse

    AutomationJob.objects.create(
        tenant=hotel.tenant,
        kind="send_message",
        status=JobStatus.SUCCEEDED,
        reservation=hotel.reservation,
        run_at=dt.datetime(2027, 3, 27, tzinfo=dt.UTC),
        payload={
            "reservation": hotel.reservation.pk,
            "trigger": "on-stay",
            "result": {"skipped": "the stay ended on 2027-03-27"},
        },
    )
    client.force_login(hotel.owner)

    for page in (
        reverse("jobs"),
        reverse("dashboard:reservation", args=[hotel.reservation.public_id]),
    ):
        html = client.get(page).content.decode()
        assert "badge-status-skipped" in html and "badge-status-succeeded" not in html, page
        assert "Skipped: the stay ended on 2027-03-27" in html, page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason", "indonesian"),
    [
        ("the stay ended on 2027-03-27", "Dilewati: masa menginap berakhir pada 2027-03-27"),
        ("the reservation is cancelled now", "Dilewati: reservasi kini berstatus dibatalkan"),
        ("the guest opted out", "Dilewati: tamu memilih berhenti menerima pesan"),
    ],
)
def test_staff_read_why_a_message_was_skipped_in_their_language(
    hotel: factories.Hotel, client: Client, reason: str, indonesian: str
) -> None:
    from django.urls import reverse

    AutomationJob.objects.create(
        tenant=hotel.tenant,
        kind="send_message",
        status=JobStatus.SUCCEEDED,
        reservation=hotel.reservation,
        run_at=dt.datetime(2027, 3, 27, tzinfo=dt.UTC),
        payload={"trigger": "on-stay", "result": {"skipped": reason}},
    )
    hotel.owner.ui_language = "id"
    hotel.owner.save(update_fields=["ui_language"])
    client.force_login(hotel.owner)

    for page in (
        reverse("jobs"),
        reverse("dashboard:reservation", args=[hotel.reservation.public_id]),
    ):
        assert indonesian in client.get(page).content.decode(), page
