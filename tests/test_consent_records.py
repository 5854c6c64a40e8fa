"""Each change of a guest's consent is recorded with where it came from (the stay's WhatsApp
link, the guest's own STOP or START, a PMS field, a staff entry with who) and the words shown to
the guest; the guest page shows the history. Automated messages end with a short opt-out line in
the guest's language, unless the hotel switched it off; staff's own messages do not."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
import time_machine
from django.test import Client

from automation import queue
from automation.models import AutomationJob
from hotel.models import ConsentEvent, Guest, Reservation
from messaging import triggers
from messaging.defaults import seed_default_templates
from messaging.models import Direction, MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import EVENT, guest_writes, post
from whatsapp import click_to_chat
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day: int, hour: int) -> dt.datetime:
    """A moment of March 2027, hotel time (WIB, UTC+7), as the UTC instant."""
    return dt.datetime(2027, 3, day, hour, tzinfo=UTC) - dt.timedelta(hours=7)


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    settings.APP_URL = "http://testserver"
    hotel_a.tenant.time_zone = "Asia/Jakarta"
    hotel_a.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel_a.tenant)
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status=SessionStatus.WORKING
    )
    return hotel_a


def chat(hotel: factories.Hotel) -> str:
    return hotel.guest.phone_e164.lstrip("+") + "@c.us"


def history(guest: Guest) -> list[tuple[str, str]]:
    return list(
        ConsentEvent.objects.filter(guest=guest).order_by("pk").values_list("change", "source")
    )


def guest_page(hotel: factories.Hotel, *, language: str = "en") -> str:
    hotel.staff.ui_language = language
    hotel.staff.save(update_fields=["ui_language"])
    client = Client()
    client.force_login(hotel.staff)
    return html.unescape(client.get(f"/guests/{hotel.guest.public_id}/").content.decode())


# --- where changes come from -------------------------------------------------------------------


def test_the_stays_link_records_consent_with_the_message_and_the_words_it_opened_with(
    hotel: factories.Hotel,
) -> None:
    text = click_to_chat.stay_text(hotel.tenant.name, hotel.reservation.chat_token, "id")
    assert guest_writes(Client(), "6287700001234@c.us", text).status_code == 200

    event = ConsentEvent.objects.get(guest=hotel.guest)
    assert (event.change, event.source) == ("consent-given", "chat-token")
    assert event.message == MessageLog.objects.get(direction=Direction.INBOUND)
    assert event.text_shown == f"Halo Hotel Alpha! (ref: {hotel.reservation.chat_token})"
    assert event.occurred_at == Guest.objects.get(pk=hotel.guest.pk).consent_at

    guest_writes(Client(), "6287700001234@c.us", text)  # the link again: consent stands
    assert ConsentEvent.objects.count() == 1


def test_stop_and_start_are_recorded_with_the_guests_words_and_the_answer(
    hotel: factories.Hotel,
) -> None:
    with time_machine.travel(at(27, 10), tick=False) as traveller:
        guest_writes(Client(), chat(hotel), "BERHENTI")
        guest_writes(Client(), chat(hotel), "stop")  # already out: nothing new
        traveller.move_to(at(27, 11))
        guest_writes(Client(), chat(hotel), "MULAI")

    assert history(hotel.guest) == [
        ("opted-out", "guest-message"),
        ("opted-in", "guest-message"),
    ]
    out, back_in = ConsentEvent.objects.order_by("pk")
    assert out.message.body == "BERHENTI" and back_in.message.body == "MULAI"
    assert out.text_shown.startswith("Anda tidak akan menerima pesan lagi dari kami")
    assert out.occurred_at == at(27, 10)


def test_a_pms_that_records_consent_is_recorded_once(hotel: factories.Hotel) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
        )
    consenting = {
        **EVENT,
        "reservation": {
            **EVENT["reservation"],
            "guest": {**EVENT["reservation"]["guest"], "whatsapp_consent": True},
        },
    }
    silent = {**EVENT}

    assert post(Client(), hotel, secret, silent).status_code == 200
    guest = Guest.objects.get(pms_guest_id="G-77")
    assert (guest.consent_at, history(guest)) == (None, [])
    assert post(Client(), hotel, secret, consenting).status_code == 200
    assert post(Client(), hotel, secret, consenting).status_code == 200

    guest.refresh_from_db()
    assert guest.consent_at is not None and guest.consent_source == "pms"
    assert history(guest) == [("consent-given", "pms")]


def test_a_pms_consent_that_is_not_a_yes_or_no_is_refused(hotel: factories.Hotel) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
        )
    odd = {
        **EVENT,
        "reservation": {
            **EVENT["reservation"],
            "guest": {**EVENT["reservation"]["guest"], "whatsapp_consent": "maybe"},
        },
    }
    response = post(Client(), hotel, secret, odd)
    assert response.status_code == 400 and "whatsapp_consent" in response.json()["error"]
    assert not Guest.objects.filter(pms_guest_id="G-77").exists()


# --- staff entries ---------------------------------------------------------------------------


def consent_url(guest: Guest) -> str:
    return f"/guests/{guest.public_id}/consent/"


def test_staff_record_an_opt_out_with_who_they_are_and_the_guest_is_opted_out(
    hotel: factories.Hotel,
) -> None:
    client = Client()
    client.force_login(hotel.staff)
    response = client.post(
        consent_url(hotel.guest),
        {
            "change": "opted-out",
            "text_shown": "You will get no more WhatsApp messages from us.",
            "note": "Asked at the front desk",
        },
    )

    assert response.status_code == 302
    guest = Guest.objects.get(pk=hotel.guest.pk)
    assert guest.opted_out_at is not None
    event = ConsentEvent.objects.get()
    assert (event.source, event.recorded_by) == ("staff", hotel.staff)
    assert event.note == "Asked at the front desk"


def test_only_an_owner_opts_a_guest_back_in(hotel: factories.Hotel) -> None:
    staff, owner = Client(), Client()
    staff.force_login(hotel.staff)
    owner.force_login(hotel.owner)
    staff.post(consent_url(hotel.guest), {"change": "opted-out"})

    refused = staff.post(consent_url(hotel.guest), {"change": "opted-in"})
    assert refused.status_code == 409
    assert "Only an owner can opt a guest back in." in refused.content.decode()
    assert Guest.objects.get(pk=hotel.guest.pk).opted_out_at is not None

    assert owner.post(consent_url(hotel.guest), {"change": "opted-in"}).status_code == 302
    assert Guest.objects.get(pk=hotel.guest.pk).opted_out_at is None
    assert history(hotel.guest) == [("opted-out", "staff"), ("opted-in", "staff")]


@pytest.mark.parametrize(
    "data",
    [{}, {"change": "sure"}, {"change": "opted-out", "note": "x" * 501}],
)
def test_a_bad_staff_entry_is_a_400_and_records_nothing(
    hotel: factories.Hotel, data: dict[str, str]
) -> None:
    client = Client()
    client.force_login(hotel.staff)
    assert client.post(consent_url(hotel.guest), data).status_code == 400
    assert client.get(consent_url(hotel.guest)).status_code == 405
    assert not ConsentEvent.objects.exists()
    assert Guest.objects.get(pk=hotel.guest.pk).opted_out_at is None


def test_a_staff_entry_for_another_hotels_guest_is_a_404(
    hotel: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    client = Client()
    client.force_login(hotel_b.owner)
    assert client.post(consent_url(hotel.guest), {"change": "opted-out"}).status_code == 404
    assert not ConsentEvent.objects.exists()


# --- the guest page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", ["History", "Opted out", "The guest's own words", "The guest wrote:", "“STOP”"]),
        ("id", ["Riwayat", "Menolak pesan", "Kata-kata tamu sendiri", "Tamu menulis:"]),
    ],
)
def test_the_guest_page_shows_the_history_in_the_staffs_language(
    hotel: factories.Hotel, language: str, shown: list[str]
) -> None:
    with time_machine.travel(at(27, 10), tick=False):
        guest_writes(Client(), chat(hotel), "STOP")
    page = guest_page(hotel, language=language)
    for text in shown:
        assert text in page


# --- the opt-out line ------------------------------------------------------------------------


def pre_arrival_text(hotel: factories.Hotel) -> str:
    """The pre-arrival message as it went out (a stay arriving on 29 March, sent on the 27th)."""
    reservation = Reservation.objects.create(
        tenant=hotel.tenant,
        guest=hotel.guest,
        pms_reservation_id="P-LINE",
        room_number="214",
        check_in=dt.date(2027, 3, 29),
        check_out=dt.date(2027, 3, 31),
    )
    with time_machine.travel(at(27, 10), tick=False):
        triggers.queue_sends(hotel.tenant, "pre-arrival", [reservation], lambda _r: at(27, 10))
        job = AutomationJob.objects.get(reservation=reservation)
        while queue.run_once():
            pass
    return MessageLog.objects.get(job=job, status="sent").body


@pytest.mark.parametrize(
    ("language", "line"),
    [("id", "Balas BERHENTI untuk berhenti."), ("en", "Reply STOP to opt out.")],
)
def test_an_automated_message_ends_with_the_opt_out_line_in_the_guests_language(
    hotel: factories.Hotel, language: str, line: str
) -> None:
    Guest.objects.filter(pk=hotel.guest.pk).update(language=language)
    assert pre_arrival_text(hotel).endswith(f"\n\n{line}")


def test_a_hotel_that_switched_the_line_off_sends_none(hotel: factories.Hotel) -> None:
    Tenant.objects.filter(pk=hotel.tenant.pk).update(opt_out_line=False)
    hotel.tenant.refresh_from_db()
    text = pre_arrival_text(hotel)
    assert "BERHENTI" not in text and "STOP" not in text


def test_staffs_own_message_carries_no_opt_out_line(hotel: factories.Hotel) -> None:
    client = Client()
    client.force_login(hotel.staff)
    client.post(
        "/api/messages/send/",
        {"guest": str(hotel.guest.public_id), "trigger": "", "text": "Hi there"},
    )
    assert MessageLog.objects.get(direction=Direction.OUTBOUND).body == "Hi there"


def test_the_template_preview_shows_the_line_guests_will_get(hotel: factories.Hotel) -> None:
    client = Client()
    client.force_login(hotel.owner)  # templates are the owners'
    preview = client.post(
        "/settings/templates/preview/",
        {"trigger": "pre-arrival", "content": "See you, {{guestName}}", "language": "id"},
    ).content.decode()
    assert "See you, Ana Wijaya" in preview and "Balas BERHENTI untuk berhenti." in preview
