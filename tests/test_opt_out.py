"""A guest who writes STOP (BERHENTI, "Stop.", "stop promo") is opted out at once and told so
once, in their language; their scheduled messages are skipped until they write START (MULAI).
A sentence that merely contains the word is not a command. Through the signed WAHA webhook,
the worker's queue, time travel and real quiet hours (21:00 to 09:00), a hotel in Jakarta."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from automation import queue
from automation.models import AutomationJob, JobStatus
from hotel.models import Guest, Reservation
from messaging import triggers
from messaging.defaults import seed_default_templates
from messaging.models import Direction, MessageLog, MessageOrigin
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import django_connected_as, guest_writes
from whatsapp.models import SessionStatus, WahaConfiguration

UTC = dt.UTC
OPTED_OUT_ID = (
    "Anda tidak akan menerima pesan lagi dari kami di WhatsApp. Balas MULAI untuk "
    "menerimanya kembali."
)
OPTED_IN_ID = (
    "Anda akan menerima pesan kami di WhatsApp lagi. Balas BERHENTI untuk menghentikannya."
)
OPTED_OUT_EN = (
    "You will receive no more messages from us on WhatsApp. Reply START to receive them again."
)


def at(day: int, hour: int, minute: int = 0, *, year: int = 2027) -> dt.datetime:
    """A moment of March (2027 unless told), hotel time (WIB, UTC+7), as the UTC instant."""
    return dt.datetime(year, 3, day, hour, minute, tzinfo=UTC) - dt.timedelta(hours=7)


def set_up(hotel: factories.Hotel) -> None:
    hotel.tenant.time_zone = "Asia/Jakarta"
    hotel.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel.tenant)
    WahaConfiguration.objects.create(
        tenant=hotel.tenant, session_name="default", status=SessionStatus.WORKING
    )


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    settings.APP_URL = "http://testserver"
    set_up(hotel_a)
    return hotel_a


def chat(hotel: factories.Hotel) -> str:
    return hotel.guest.phone_e164.lstrip("+") + "@c.us"


def stay(hotel: factories.Hotel, pms_id: str, check_in: dt.date) -> Reservation:
    return Reservation.objects.create(
        tenant=hotel.tenant,
        guest=hotel.guest,
        pms_reservation_id=pms_id,
        room_number="214",
        check_in=check_in,
        check_out=check_in + dt.timedelta(days=2),
    )


def pre_arrival_at(hotel: factories.Hotel, reservation: Reservation, when: dt.datetime):
    triggers.queue_sends(hotel.tenant, "pre-arrival", [reservation], lambda _r: when)
    return AutomationJob.objects.get(reservation=reservation, payload__trigger="pre-arrival")


def writes(hotel: factories.Hotel, text: str, **kwargs: Any) -> None:
    response = guest_writes(Client(), chat(hotel), text, **kwargs)
    assert response.status_code == 200, response.content


def run_jobs() -> None:
    while queue.run_once():
        pass


def sent_to_guest() -> list[str]:
    return list(
        MessageLog.objects.filter(direction=Direction.OUTBOUND, status="sent")
        .order_by("pk")
        .values_list("body", flat=True)
    )


def opted_out(hotel: factories.Hotel) -> bool:
    return Guest.objects.get(pk=hotel.guest.pk).opted_out_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("words", ["STOP", "berhenti", "Stop.", "stop promo", "  BÉRHENTI! "])
def test_stop_opts_out_at_once_confirms_once_and_skips_the_scheduled_pre_arrival(
    hotel: factories.Hotel, words: str
) -> None:
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        job = pre_arrival_at(hotel, stay(hotel, "P1", dt.date(2027, 3, 29)), at(27, 11))
        writes(hotel, words)
        assert opted_out(hotel)  # recorded with the message, before any worker runs
        run_jobs()
        traveller.move_to(at(27, 11, 1))
        run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.payload["result"] == {"skipped": "the guest opted out"}
    assert sent_to_guest() == [OPTED_OUT_ID]  # the guest's language (Indonesian), once


@pytest.mark.django_db
def test_start_opts_back_in_and_the_next_scheduled_message_goes(hotel: factories.Hotel) -> None:
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        writes(hotel, "STOP")
        run_jobs()
        traveller.move_to(at(27, 10, 5))
        writes(hotel, "START")
        assert not opted_out(hotel)
        run_jobs()
        job = pre_arrival_at(hotel, stay(hotel, "P2", dt.date(2027, 3, 30)), at(28, 10))
        traveller.move_to(at(28, 10, 1))
        run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and "skipped" not in job.payload["result"]
    confirmations, pre_arrival = sent_to_guest()[:2], sent_to_guest()[2:]
    assert confirmations == [OPTED_OUT_ID, OPTED_IN_ID]
    assert len(pre_arrival) == 1 and MessageLog.objects.get(job=job).status == "sent"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "words", ["don't stop the cleaning", "Please stop by at 8", "Kapan berhenti hujannya?"]
)
def test_a_message_that_merely_contains_the_word_does_not_opt_out(
    hotel: factories.Hotel, words: str
) -> None:
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        job = pre_arrival_at(hotel, stay(hotel, "P3", dt.date(2027, 3, 29)), at(27, 11))
        writes(hotel, words)
        run_jobs()
        traveller.move_to(at(27, 11, 1))
        run_jobs()

    assert not opted_out(hotel)
    job.refresh_from_db()
    assert "skipped" not in job.payload["result"]
    # The pre-arrival, and no confirmation; the concierge answers the words themselves.
    sent = MessageLog.objects.filter(direction=Direction.OUTBOUND, status="sent")
    assert sent.exclude(origin=MessageOrigin.AGENT).count() == 1


@pytest.mark.django_db
def test_a_redelivered_or_repeated_stop_sends_no_second_confirmation(
    hotel: factories.Hotel,
) -> None:
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        writes(hotel, "STOP", message_id="false_stop_1")
        writes(hotel, "STOP", message_id="false_stop_1")  # WAHA delivers it again
        run_jobs()
        traveller.move_to(at(27, 10, 5))
        writes(hotel, "stop")  # the guest says it again
        run_jobs()

    assert opted_out(hotel)
    assert sent_to_guest() == [OPTED_OUT_ID]


@pytest.mark.django_db
def test_an_english_guest_is_confirmed_in_english_and_berhenti_in_indonesian(
    hotel: factories.Hotel,
) -> None:
    hotel.guest.language = "en"
    hotel.guest.save(update_fields=["language"])
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        writes(hotel, "Stop!")
        run_jobs()
        traveller.move_to(at(27, 10, 5))
        writes(hotel, "start")
        run_jobs()
        traveller.move_to(at(27, 10, 10))
        writes(hotel, "BERHENTI")
        run_jobs()

    assert sent_to_guest()[0] == OPTED_OUT_EN
    assert sent_to_guest()[2] == OPTED_OUT_ID


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "Innbox sends this guest nothing"),
        ("id", "Innbox tidak mengirim apa pun ke tamu ini"),
    ],
)
def test_staff_see_the_opt_out_on_the_guest_page_in_their_language(
    hotel: factories.Hotel, language: str, shown: str
) -> None:
    writes(hotel, "STOP")
    hotel.staff.ui_language = language
    hotel.staff.save(update_fields=["ui_language"])
    client = Client()
    client.force_login(hotel.staff)
    page = client.get(f"/guests/{hotel.guest.public_id}/").content.decode()
    assert shown in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stop_and_start_on_postgres_webhook_as_the_app_worker_as_the_worker(settings) -> None:
    """As production runs it: the webhook as the web app's role, the sends as the worker's,
    under row level security. (The clock travels to a past March, so the database's own clock
    finds every job due.)"""
    settings.WAHA_BASE_URL = None
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    settings.APP_URL = "http://testserver"
    hotel = factories.make_hotel("Hotel Alpha")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        set_up(hotel)
    with time_machine.travel(at(27, 10, year=2026), tick=False) as traveller:
        with acting_for_tenant(hotel.tenant.id, role="owner"):
            first = pre_arrival_at(
                hotel, stay(hotel, "PG1", dt.date(2026, 3, 29)), at(27, 11, year=2026)
            )
        with django_connected_as(settings.DB_APP_ROLE):
            writes(hotel, "BERHENTI")
        with django_connected_as(settings.DB_WORKER_ROLE):
            run_jobs()
            traveller.move_to(at(27, 11, 1, year=2026))
            run_jobs()
        first.refresh_from_db()
        assert first.payload["result"] == {"skipped": "the guest opted out"}

        with django_connected_as(settings.DB_APP_ROLE):
            writes(hotel, "MULAI")
        with acting_for_tenant(hotel.tenant.id, role="owner"):
            second = pre_arrival_at(
                hotel, stay(hotel, "PG2", dt.date(2026, 3, 30)), at(28, 10, year=2026)
            )
        with django_connected_as(settings.DB_WORKER_ROLE):
            run_jobs()
            traveller.move_to(at(28, 10, 1, year=2026))
            run_jobs()

    assert not opted_out(hotel)
    second.refresh_from_db()
    assert second.status == JobStatus.SUCCEEDED and "skipped" not in second.payload["result"]
    assert sent_to_guest()[:2] == [OPTED_OUT_ID, OPTED_IN_ID] and len(sent_to_guest()) == 3


@pytest.mark.django_db
def test_an_opted_out_guest_who_writes_first_can_still_be_answered_for_a_day(
    hotel: factories.Hotel,
) -> None:
    """A reply to the guest's own question is a service conversation, not a message they
    refused; a day later staff can no longer write to them."""
    staff = Client()

    def staff_answers(text: str) -> Any:
        staff.force_login(hotel.staff)  # at the travelled time: a session lasts two weeks
        return staff.post(
            "/api/messages/send/",
            {"reservation": str(hotel.reservation.public_id), "text": text},
            HTTP_ACCEPT="application/json",
        )

    with time_machine.travel(at(27, 10), tick=False) as traveller:
        writes(hotel, "STOP")
        run_jobs()
        traveller.move_to(at(27, 12))
        writes(hotel, "Sorry, one question: what time is checkout?")
        assert staff_answers("Checkout is at 12:00.").status_code == 202
        run_jobs()
        assert sent_to_guest() == [OPTED_OUT_ID, "Checkout is at 12:00."]

        traveller.move_to(at(28, 13))
        refused = staff_answers("Would you like a late checkout?")
    assert refused.status_code == 400
    assert refused.json()["error"] == "This guest opted out of WhatsApp messages."
    assert sent_to_guest() == [OPTED_OUT_ID, "Checkout is at 12:00."]


@pytest.mark.django_db
def test_the_transport_refuses_a_number_that_said_stop_whatever_the_guest_record_says(
    hotel: factories.Hotel,
) -> None:
    """A second guest record with the same number (a PMS duplicate) never opted out itself;
    the WhatsApp transport still sends that number nothing."""
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        writes(hotel, "STOP")
        run_jobs()
        twin = Guest.objects.create(
            tenant=hotel.tenant, first_name="Ana", phone_e164=hotel.guest.phone_e164, language="id"
        )
        reservation = Reservation.objects.create(
            tenant=hotel.tenant,
            guest=twin,
            pms_reservation_id="TWIN",
            room_number="215",
            check_in=dt.date(2027, 3, 29),
            check_out=dt.date(2027, 3, 31),
        )
        job = pre_arrival_at(hotel, reservation, at(27, 11))
        traveller.move_to(at(27, 11, 1))
        run_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED, job.payload
    assert "asked not to receive messages" in job.last_error
    assert sent_to_guest() == [OPTED_OUT_ID]


@pytest.mark.django_db
def test_a_hotels_own_opt_out_word_opts_out_too(hotel: factories.Hotel) -> None:
    owner = Client()
    owner.force_login(hotel.owner)
    saved = owner.post(
        "/settings/hotel/",
        {
            "section": "personal-data",
            "retention_months": "24",
            "opt_out_line": "on",
            "opt_out_words": "  Afmelden \n\nno more whatsapp",
        },
    )
    assert saved.status_code == 302
    writes(hotel, "AFMELDEN!")
    assert opted_out(hotel)
    Guest.objects.filter(pk=hotel.guest.pk).update(opted_out_at=None)
    writes(hotel, "Please afmelden my booking for Friday")  # a sentence, not the word
    assert not opted_out(hotel)
