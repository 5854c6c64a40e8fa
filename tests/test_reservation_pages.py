"""/reservations/ and a reservation's page: tabs, search, dates, pages, automations, bounded queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation.models import AutomationJob, JobKind, JobStatus
from dashboard import paging
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def staff(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.staff)
    return client


def add_stay(
    hotel: factories.Hotel,
    first_name: str,
    *,
    check_in: dt.date = DAY,
    nights: int = 2,
    status: str = ReservationStatus.PRE_ARRIVAL,
    **fields: object,
) -> Reservation:
    with acting_for_tenant(hotel.tenant.id):
        guest = Guest.objects.create(tenant=hotel.tenant, first_name=first_name, last_name="Tamu")
        return Reservation.objects.create(
            tenant=hotel.tenant,
            guest=guest,
            pms_reservation_id=f"P-{first_name}-{check_in}",
            check_in=check_in,
            check_out=check_in + dt.timedelta(days=nights),
            status=status,
            **fields,
        )


def add_many(hotel: factories.Hotel, count: int) -> None:
    with acting_for_tenant(hotel.tenant.id):
        Reservation.objects.bulk_create(
            Reservation(
                tenant=hotel.tenant,
                guest=hotel.guest,
                pms_reservation_id=f"M{Reservation.objects.count()}-{n}",
                check_in=DAY + dt.timedelta(days=n),
                check_out=DAY + dt.timedelta(days=n + 1),
                status=ReservationStatus.CHECKED_OUT,
            )
            for n in range(count)
        )


def guests(html: str) -> list[str]:
    """First names of the guests in the order the table shows them."""
    return re.findall(r'data-label="Guest"><a href="[^"]+">(\w+) Tamu</a>', html)


def test_it_lists_the_plan_columns(staff: Client, hotel_a: factories.Hotel) -> None:
    stay = add_stay(
        hotel_a,
        "Citra",
        room_number="204",
        amount=Decimal("1250000.00"),
        currency="IDR",
        source="Booking.com",
        booking_code="BK-CITRA",
    )
    html = staff.get("/reservations/").content.decode()
    for column in ("Guest", "Room", "Arrival", "Departure", "Status", "Amount", "Source"):
        assert f">{column}<" in html, column
    for value in ("204", "1,250,000.00 IDR", "Booking.com", "BK-CITRA", "Sun 1 Mar 2026"):
        assert value in html, value
    assert f"/reservations/{stay.public_id}/" in html
    assert 'class="badge badge-reservation-pre-arrival">Pre-arrival<' in html


def test_it_filters_by_tab_with_counts(staff: Client, hotel_a: factories.Hotel) -> None:
    hotel_a.reservation.delete()
    add_stay(hotel_a, "Arriving")
    add_stay(hotel_a, "Staying", status=ReservationStatus.ON_STAY)
    add_stay(hotel_a, "Gone", status=ReservationStatus.CHECKED_OUT)
    add_stay(hotel_a, "Cancelled", status=ReservationStatus.CANCELLED)
    add_stay(hotel_a, "Absent", status=ReservationStatus.NO_SHOW)
    expected = {
        "all": {"Arriving", "Staying", "Gone", "Cancelled", "Absent"},
        "pre-arrival": {"Arriving"},
        "on-stay": {"Staying"},
        "checked-out": {"Gone"},
        "cancelled": {"Cancelled", "Absent"},
    }
    for tab, shown in expected.items():
        html = staff.get("/reservations/", {"status": tab}).content.decode()
        assert set(guests(html)) == shown, tab
        assert re.search(rf'aria-current="page">[^<]+<span class="tab-count">{len(shown)}<', html)
    html = staff.get("/reservations/").content.decode()
    counts = re.findall(r'<span class="tab-count">(\d+)</span>', html)
    assert counts == ["5", "1", "1", "1", "2"]


def test_it_orders_each_tab_for_the_front_desk(staff: Client, hotel_a: factories.Hotel) -> None:
    hotel_a.reservation.delete()
    add_stay(hotel_a, "Later", check_in=DAY + dt.timedelta(days=5))
    add_stay(hotel_a, "Sooner", check_in=DAY)
    add_stay(hotel_a, "LeavesLate", status=ReservationStatus.ON_STAY, nights=6)
    add_stay(hotel_a, "LeavesSoon", status=ReservationStatus.ON_STAY, nights=1)
    pre = staff.get("/reservations/", {"status": "pre-arrival"}).content.decode()
    assert guests(pre) == ["Sooner", "Later"]  # next arrivals first
    on_stay = staff.get("/reservations/", {"status": "on-stay"}).content.decode()
    assert guests(on_stay) == ["LeavesSoon", "LeavesLate"]  # next departures first
    flipped = staff.get("/reservations/", {"status": "on-stay", "sort": "-departure"})
    assert guests(flipped.content.decode()) == ["LeavesLate", "LeavesSoon"]


def test_it_searches_by_guest_name_booking_code_and_room(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    add_stay(hotel_a, "Dewi", booking_code="QX7781", room_number="305")
    add_stay(hotel_a, "Eko", booking_code="QX1000", room_number="306")
    for query in ("dewi", "Dewi Tamu", "qx7781", "305", "Dewi 305"):
        html = staff.get("/reservations/", {"q": query}).content.decode()
        assert guests(html) == ["Dewi"], query


def test_it_says_when_a_search_finds_nothing_and_offers_to_clear_it(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    html = staff.get("/reservations/", {"q": "zzz", "status": "on-stay"}).content.decode()
    assert "No on stay reservations match “zzz”." in html
    assert 'href="/reservations/?status=on-stay">Clear the search' in html
    # The hidden tab field keeps the next search in this tab.
    assert 'name="status" value="on-stay" form="list-filters"' in html


def test_it_filters_stays_overlapping_dates_or_arriving_between_them(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    hotel_a.reservation.delete()
    add_stay(hotel_a, "Before", check_in=DAY - dt.timedelta(days=10), nights=2)
    add_stay(hotel_a, "Across", check_in=DAY - dt.timedelta(days=2), nights=5)
    add_stay(hotel_a, "Inside", check_in=DAY + dt.timedelta(days=1), nights=1)
    add_stay(hotel_a, "After", check_in=DAY + dt.timedelta(days=10), nights=2)
    window = {"from": "2026-03-01", "to": "2026-03-03"}
    staying = staff.get("/reservations/", {**window, "dates": "staying"}).content.decode()
    assert set(guests(staying)) == {"Across", "Inside"}
    arriving = staff.get("/reservations/", {**window, "dates": "arriving"}).content.decode()
    assert guests(arriving) == ["Inside"]
    # Reversed dates are swapped, nonsense dates are ignored: no error page for a typed URL.
    swapped = {"from": "2026-03-03", "to": "2026-03-01"}
    assert set(guests(staff.get("/reservations/", swapped).content.decode())) == {
        "Across",
        "Inside",
    }
    assert staff.get("/reservations/", {"from": "yesterday"}).status_code == 200


def test_it_pages_through_reservations(staff: Client, hotel_a: factories.Hotel) -> None:
    add_many(hotel_a, paging.PER_PAGE + 10)
    params = {"status": "checked-out", "sort": "arrival"}
    first = staff.get("/reservations/", params).content.decode()
    assert "1–50 of 60 reservations" in first
    assert 'href="?status=checked-out&amp;sort=arrival&amp;page=2"' in first
    second = staff.get("/reservations/", {**params, "page": "2"}).content.decode()
    assert "51–60 of 60 reservations" in second
    assert "Page 2 of 2" in second


def test_it_returns_only_the_results_to_htmx(staff: Client) -> None:
    partial = staff.get("/reservations/", {"status": "on-stay"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="list-results"')
    assert "<html" not in body and 'class="tabs list-tabs"' in body
    assert "HX-Request" in partial["Vary"]


def test_it_runs_the_same_queries_for_3_or_40_reservations(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    add_many(hotel_a, 2)
    with CaptureQueriesContext(connection) as few:
        assert staff.get("/reservations/", {"q": "Ana"}).status_code == 200
    add_many(hotel_a, 37)
    with CaptureQueriesContext(connection) as many:
        assert staff.get("/reservations/", {"q": "Ana"}).status_code == 200
    assert len(few) == len(many)


def test_it_hides_other_tenants_records(
    staff: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    html = staff.get("/reservations/").content.decode()
    assert str(hotel_a.reservation.public_id) in html
    assert str(hotel_b.reservation.public_id) not in html
    searched = staff.get("/reservations/", {"q": hotel_b.reservation.booking_code}).content
    assert str(hotel_b.reservation.public_id).encode() not in searched
    # The tab counts are this hotel's only.
    assert re.findall(r'<span class="tab-count">(\d+)</span>', html)[0] == "1"
    assert staff.get(f"/reservations/{hotel_b.reservation.public_id}/").status_code == 404


def test_it_tells_a_new_hotel_to_connect_the_pms(client: Client, hotel_a: factories.Hotel) -> None:
    hotel_a.reservation.delete()
    client.force_login(hotel_a.owner)
    html = client.get("/reservations/").content.decode()
    assert "No reservations yet." in html and "Connect the PMS" in html


# --- a reservation's page ------------------------------------------------------------------------


def test_it_shows_the_stay_its_messages_and_scheduled_automations(
    staff: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    reservation = hotel_a.reservation
    run_at = timezone.now() + dt.timedelta(days=1)
    with acting_for_tenant(hotel_a.tenant.id):
        Reservation.objects.filter(pk=reservation.pk).update(
            amount=Decimal("900000"), currency="IDR", source="Direct", adults=2, children=1
        )
        AutomationJob.objects.create(
            tenant=hotel_a.tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=f"{reservation.pk}:pre-arrival",
            payload={"reservation": reservation.pk, "trigger": "pre-arrival"},
            reservation=reservation,
            run_at=run_at,
        )
        AutomationJob.objects.create(  # found by its key alone
            tenant=hotel_a.tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=f"{reservation.pk}:on-stay",
            payload={"reservation": reservation.pk, "trigger": "on-stay"},
            run_at=run_at,
            status=JobStatus.RETRYING,
            attempts=2,
            last_error="WAHA timed out",
        )
        MessageLog.objects.create(
            tenant=hotel_a.tenant,
            direction=Direction.OUTBOUND,
            guest=reservation.guest,
            reservation=reservation,
            origin=MessageOrigin.MANUAL,
            body="Your room is ready",
            status=MessageStatus.DELIVERED,
        )
    with acting_for_tenant(hotel_b.tenant.id):  # the same key text in another hotel
        AutomationJob.objects.create(
            tenant=hotel_b.tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=f"{reservation.pk}:post-stay",
            payload={"trigger": "post-stay"},
            run_at=run_at,
        )
    html = staff.get(f"/reservations/{reservation.public_id}/").content.decode()
    for text in (
        "Scheduled automations",
        "Pre-arrival message",
        "On-stay message",
        "Queued",
        "Retrying",
        "2 / 8",
        "WAHA timed out",
        timezone.localtime(run_at).strftime("%H:%M"),
        "900,000.00 IDR",
        "Direct",
        "2 adults, 1 child",
        "Your room is ready",
        'data-open-dialog="send-dialog"',
        f'name="reservation" value="{reservation.public_id}"',
    ):
        assert text in html, text
    assert "Post-stay message" not in html


def test_it_offers_the_guest_their_own_whatsapp_link_once_whatsapp_is_connected(
    staff: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    from whatsapp.models import SessionStatus, WahaConfiguration

    url = f"/reservations/{hotel_a.reservation.public_id}/"
    before = staff.get(url).content.decode()
    with acting_for_tenant(hotel_a.tenant.id, role="owner"):
        WahaConfiguration.objects.create(
            tenant=hotel_a.tenant, status=SessionStatus.WORKING, phone_number="+6281100001111"
        )
    other_stay = add_stay(hotel_a, "Budi")

    html = staff.get(url).content.decode()

    assert "Connect the hotel's WhatsApp" in before and "wa.me" not in before
    token = hotel_a.reservation.chat_token
    # In the guest's language (Indonesian here), with the stay's token.
    assert (
        f'data-copy="https://wa.me/6281100001111?text=Halo%20Hotel%20Alpha%21%20%28ref%3A%20{token}%29"'
        in html
    )
    assert f"Halo Hotel Alpha! (ref: {token})" in html  # the message it opens with
    assert 'src="data:image/svg+xml' in html  # its QR code
    assert other_stay.chat_token not in html and hotel_b.reservation.chat_token not in html

    Reservation.objects.filter(pk=hotel_a.reservation.pk).update(status="cancelled")
    assert token not in staff.get(url).content.decode(), "a cancelled stay invites nobody"


def test_it_says_when_nothing_is_scheduled(staff: Client, hotel_a: factories.Hotel) -> None:
    html = staff.get(f"/reservations/{hotel_a.reservation.public_id}/").content.decode()
    assert "Nothing scheduled for this stay." in html


def test_it_runs_the_same_queries_for_3_or_40_jobs_and_messages(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    def add(count: int) -> None:
        with acting_for_tenant(hotel_a.tenant.id):
            AutomationJob.objects.bulk_create(
                AutomationJob(
                    tenant=hotel_a.tenant,
                    kind=JobKind.SEND_MESSAGE,
                    reservation=hotel_a.reservation,
                    run_at=timezone.now(),
                )
                for _ in range(count)
            )
            MessageLog.objects.bulk_create(
                MessageLog(
                    tenant=hotel_a.tenant,
                    direction=Direction.OUTBOUND,
                    reservation=hotel_a.reservation,
                    body="hi",
                    status=MessageStatus.SENT,
                )
                for _ in range(count)
            )

    url = f"/reservations/{hotel_a.reservation.public_id}/"
    add(3)
    with CaptureQueriesContext(connection) as few:
        staff.get(url)
    add(37)
    with CaptureQueriesContext(connection) as many:
        staff.get(url)
    assert len(few) == len(many)


def test_it_lets_owners_and_staff_use_the_pages(client: Client, hotel_a: factories.Hotel) -> None:
    for user in (hotel_a.owner, hotel_a.staff):
        client.force_login(user)
        for url in (
            "/reservations/",
            "/guests/",
            f"/reservations/{hotel_a.reservation.public_id}/",
            f"/guests/{hotel_a.guest.public_id}/",
        ):
            assert client.get(url).status_code == 200, (user, url)
