"""/guests/ and a guest's page: search, sort, pages, HTMX partials, empty states, bounded queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import paging
from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog, MessageStatus
from pms.sync import sync_reservations
from tenancy.db import acting_for_tenant
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.staff)
    return client


def add_guests(hotel: factories.Hotel, count: int, **fields: object) -> list[Guest]:
    with acting_for_tenant(hotel.tenant.id):
        return Guest.objects.bulk_create(
            Guest(
                tenant=hotel.tenant,
                first_name=f"Bulk{n:03d}",
                last_name="Tamu",
                phone_e164=f"+6281999{n:05d}",
                **fields,
            )
            for n in range(count)
        )


def names(html: str) -> list[str]:
    """Guest names in the order the table shows them."""
    return re.findall(r'class="cell-primary" data-label="Name"><a href="[^"]+">([^<]+)</a>', html)


def test_it_lists_the_plan_columns(staff: Client, hotel_a: factories.Hotel) -> None:
    with acting_for_tenant(hotel_a.tenant.id):
        Guest.objects.filter(pk=hotel_a.guest.pk).update(
            email="ana@example.com", country_code="ID", tier="Gold", points=1200
        )
    html = staff.get("/guests/").content.decode()
    for column in ("Name", "Phone", "Email", "Country", "Tier", "Points", "Joined", "Actions"):
        assert f">{column}<" in html
    for value in ("ana@example.com", "ID", "Gold", "1200", hotel_a.guest.phone_e164):
        assert value in html
    assert f"/guests/{hotel_a.guest.public_id}/#send-dialog" in html


def test_it_searches_by_full_name_phone_and_email(staff: Client, hotel_a: factories.Hotel) -> None:
    with acting_for_tenant(hotel_a.tenant.id):
        wijaya = Guest.objects.create(
            tenant=hotel_a.tenant,
            first_name="Budi",
            last_name="Wijaya",
            phone_e164="+6281311112222",
            email="budi@hotelmail.test",
        )
    add_guests(hotel_a, 5)
    for query in ("budi wijaya", "Wijaya", "0813 1111 2222", "+62 813-1111-2222", "hotelmail"):
        assert names(staff.get("/guests/", {"q": query}).content.decode()) == [wijaya.full_name]
    assert names(staff.get("/guests/", {"q": "Budi Tamu"}).content.decode()) == []


def test_it_says_when_a_search_finds_nothing_and_offers_to_clear_it(staff: Client) -> None:
    html = staff.get("/guests/", {"q": "nobody-here"}).content.decode()
    assert "No guests match “nobody-here”." in html
    assert 'href="/guests/">Clear the search' in html


def test_it_tells_a_new_hotel_to_connect_the_pms(client: Client, hotel_a: factories.Hotel) -> None:
    with acting_for_tenant(hotel_a.tenant.id):
        Reservation.objects.all().delete()
        Guest.objects.all().delete()
    client.force_login(hotel_a.owner)
    html = client.get("/guests/").content.decode()
    assert "No guests yet." in html
    assert "Connect the PMS" in html
    client.force_login(hotel_a.staff)
    assert "Ask the hotel's owner to connect the PMS" in client.get("/guests/").content.decode()


def test_it_sorts_by_whitelisted_columns_with_aria_sort(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    with acting_for_tenant(hotel_a.tenant.id):
        Guest.objects.all().update(points=50)
        Guest.objects.create(tenant=hotel_a.tenant, first_name="Zed", last_name="Able", points=10)
        Guest.objects.create(tenant=hotel_a.tenant, first_name="Amy", last_name="Zulu", points=90)
    by_name = staff.get("/guests/").content.decode()
    assert names(by_name)[0] == "Zed Able" and names(by_name)[-1] == "Amy Zulu"
    assert 'aria-sort="ascending"' in by_name

    most_points = staff.get("/guests/", {"sort": "-points"}).content.decode()
    assert names(most_points)[0] == "Amy Zulu"
    assert re.search(
        r'aria-sort="descending">\s*<a class="sort-link" href="\?sort=points"', most_points
    )

    # Anything outside the whitelist is the default order, never a field name passed to ORDER BY.
    injected = staff.get("/guests/", {"sort": "-tenant__name"}).content.decode()
    assert names(injected) == names(by_name)


def test_it_pages_through_guests_keeping_search_and_sort_in_the_url(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    add_guests(hotel_a, paging.PER_PAGE + 5)
    first = staff.get("/guests/", {"q": "bulk", "sort": "-joined"}).content.decode()
    assert len(names(first)) == paging.PER_PAGE
    assert "1–50 of 55 guests" in first
    assert "Page 1 of 2" in first
    assert 'href="?q=bulk&amp;sort=-joined&amp;page=2"' in first

    second = staff.get("/guests/", {"q": "bulk", "sort": "-joined", "page": "2"}).content.decode()
    assert len(names(second)) == 5
    assert not set(names(first)) & set(names(second))
    # Past the end: the last page, as Django's Paginator.get_page does; rubbish is page 1.
    assert names(staff.get("/guests/", {"q": "bulk", "page": "999"}).content.decode())
    assert "Page 1 of 2" in staff.get("/guests/", {"q": "bulk", "page": "x"}).content.decode()


def test_it_pages_beyond_the_count_cap(
    staff: Client, hotel_a: factories.Hotel, monkeypatch
) -> None:
    monkeypatch.setattr(paging, "COUNT_CAP", 20)
    monkeypatch.setattr(paging, "DEFERRED_JOIN_OFFSET", 10)
    add_guests(hotel_a, 70)
    first = staff.get("/guests/", {"q": "bulk"}).content.decode()
    assert "1–50 of 20+ guests" in first
    assert "Page 1<" in first and "Page 1 of" not in first
    second = staff.get("/guests/", {"q": "bulk", "page": "2"}).content.decode()
    assert names(second) == [f"Bulk{n:03d} Tamu" for n in range(50, 70)]
    assert "Next →</span>" in second  # no next page: shown, not a link


def test_it_returns_only_the_results_to_htmx(staff: Client) -> None:
    page = staff.get("/guests/")
    partial = staff.get("/guests/", {"q": "ana"}, HTTP_HX_REQUEST="true")
    restore = staff.get("/guests/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert b"<html" in page.content and b'id="guest-q"' in page.content
    assert partial.content.decode().lstrip().startswith('<section id="list-results"')
    assert b"<html" not in partial.content
    assert b"<html" in restore.content  # the back button after a cache miss needs the page
    assert "HX-Request" in partial["Vary"]


def test_it_runs_the_same_queries_for_3_or_40_guests(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    add_guests(hotel_a, 2)
    with CaptureQueriesContext(connection) as few:
        assert staff.get("/guests/", {"sort": "-points"}).status_code == 200
    add_guests(hotel_a, 37)
    with CaptureQueriesContext(connection) as many:
        assert staff.get("/guests/", {"sort": "-points"}).status_code == 200
    assert len(few) == len(many)


def test_it_hides_other_tenants_records(
    staff: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    html = staff.get("/guests/").content.decode()
    assert hotel_a.guest.full_name in html
    assert hotel_b.guest.full_name not in html
    assert str(hotel_b.guest.public_id) not in html
    searched = staff.get("/guests/", {"q": hotel_b.guest.phone_e164}).content.decode()
    assert str(hotel_b.guest.public_id) not in searched
    assert staff.get(f"/guests/{hotel_b.guest.public_id}/").status_code == 404


def test_it_needs_a_login(client: Client) -> None:
    assert client.get("/guests/").status_code == 302


# --- a guest's page ------------------------------------------------------------------------------


def test_it_shows_contact_consent_stays_and_messages(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    guest = hotel_a.guest
    with acting_for_tenant(hotel_a.tenant.id):
        Guest.objects.filter(pk=guest.pk).update(
            email="ana@example.com",
            country_code="ID",
            tier="Gold",
            points=300,
            consent_at=timezone.now(),
            consent_source="whatsapp_booking_code",
        )
        MessageLog.objects.create(
            tenant=hotel_a.tenant,
            direction=Direction.INBOUND,
            guest=guest,
            body="Is breakfast included?",
            status=MessageStatus.RECEIVED,
        )
    html = staff.get(f"/guests/{guest.public_id}/").content.decode()
    for text in (
        guest.phone_e164,
        "ana@example.com",
        ">ID<",
        "Gold",
        "300 points",
        ">id<",  # the guest's language
        "Consented",
        "whatsapp_booking_code",
        f"/reservations/{hotel_a.reservation.public_id}/",
        "Is breakfast included?",
        'data-open-dialog="send-dialog"',
    ):
        assert text in html, text


def test_it_marks_a_phone_the_pms_sent_that_whatsapp_cannot_use(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    pms = factories.StaysAdapter([factories.pms_stay("Q1", "QG1", phone="12345", name="Wulan")])
    today = timezone.localdate()
    sync_reservations(hotel_a.tenant, pms, today, today + dt.timedelta(days=30))
    guest = Guest.objects.get(tenant=hotel_a.tenant, pms_guest_id="QG1")

    html = staff.get(f"/guests/{guest.public_id}/").content.decode()
    stay = staff.get(f"/reservations/{guest.reservations.get().public_id}/").content.decode()

    assert "Phone not usable" in html and "The PMS has “12345”" in html
    assert "Phone not usable" in stay
    good = staff.get(f"/guests/{hotel_a.guest.public_id}/").content.decode()
    assert "Phone not usable" not in good


def test_it_shows_an_opted_out_guest_as_such(staff: Client, hotel_a: factories.Hotel) -> None:
    with acting_for_tenant(hotel_a.tenant.id):
        Guest.objects.filter(pk=hotel_a.guest.pk).update(opted_out_at=timezone.now())
    html = staff.get(f"/guests/{hotel_a.guest.public_id}/").content.decode()
    assert "Opted out" in html
    listed = staff.get("/guests/").content.decode()
    assert "Opted out" in listed
    assert "#send-dialog" not in listed  # no "Message" button for a guest who said no


def test_it_runs_the_same_queries_for_a_guest_with_3_or_40_stays(
    staff: Client, hotel_a: factories.Hotel
) -> None:
    def add_stays(count: int) -> None:
        with acting_for_tenant(hotel_a.tenant.id):
            Reservation.objects.bulk_create(
                Reservation(
                    tenant=hotel_a.tenant,
                    guest=hotel_a.guest,
                    pms_reservation_id=f"S{Reservation.objects.count()}-{n}",
                    check_in=dt.date(2025, 1, 1) + dt.timedelta(days=n * 3),
                    check_out=dt.date(2025, 1, 2) + dt.timedelta(days=n * 3),
                )
                for n in range(count)
            )

    add_stays(2)
    with CaptureQueriesContext(connection) as few:
        staff.get(f"/guests/{hotel_a.guest.public_id}/")
    add_stays(37)
    with CaptureQueriesContext(connection) as many:
        staff.get(f"/guests/{hotel_a.guest.public_id}/")
    assert len(few) == len(many)
