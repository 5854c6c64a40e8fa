"""In Chromium, as owner and as staff, at desktop and phone size: the guests list, a guest, the
reservations list (a tab, a search) and a reservation, with screenshots of each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from automation.models import AutomationJob, JobKind
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.defaults import seed_default_templates
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Ana", "Wijaya", "ID", "Gold", 1200, "id"),
    ("Budi", "Santoso", "ID", "", 80, "id"),
    ("Charlotte", "van der Berg-Hoogendijk", "NL", "Silver", 430, "nl"),
    ("Daniel", "Okafor", "GB", "", 0, "en"),
    ("Emi", "Tanaka", "JP", "Gold", 2210, "ja"),
    ("Farah", "Rahman", "SG", "", 15, "en"),
]
STATUSES = [
    ReservationStatus.ON_STAY,
    ReservationStatus.PRE_ARRIVAL,
    ReservationStatus.PRE_ARRIVAL,
    ReservationStatus.CHECKED_OUT,
    ReservationStatus.CANCELLED,
    ReservationStatus.ON_STAY,
]


def furnish(hotel: factories.Hotel) -> Reservation:
    """A small, believable hotel; returns the reservation the detail pages show."""
    today = timezone.localdate()
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        hotel.reservation.delete()  # the factory's placeholder stay and guest
        hotel.guest.delete()
        seed_default_templates(hotel.tenant)
        for n, (first, last, country, tier, points, language) in enumerate(PEOPLE):
            guest = Guest.objects.create(
                tenant=hotel.tenant,
                first_name=first,
                last_name=last,
                phone_e164=f"+628123450{n:04d}",
                email=f"{first.lower()}@example.com",
                country_code=country,
                tier=tier,
                points=points,
                language=language,
                consent_at=timezone.now() if n % 2 == 0 else None,
                consent_source="whatsapp_booking_code" if n % 2 == 0 else "",
            )
            check_in = today + dt.timedelta(days=(n - 2) * 2)
            Reservation.objects.create(
                tenant=hotel.tenant,
                guest=guest,
                pms_reservation_id=f"QL-{n}",
                booking_code=f"BK{7100 + n}",
                room_number=str(201 + n),
                room_type="Deluxe King" if n % 2 else "Garden Twin",
                check_in=check_in,
                check_out=check_in + dt.timedelta(days=3),
                amount=Decimal(1_450_000 + 250_000 * n),
                currency="IDR",
                source=["Booking.com", "Direct", "Expedia"][n % 3],
                status=STATUSES[n],
            )
        reservation = Reservation.objects.get(tenant=hotel.tenant, pms_reservation_id="QL-1")
        AutomationJob.objects.create(
            tenant=hotel.tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=f"{reservation.pk}:pre-arrival",
            payload={"reservation": reservation.pk, "trigger": "pre-arrival"},
            reservation=reservation,
            run_at=timezone.now() + dt.timedelta(days=1),
        )
        for body, direction, status in (
            ("Selamat datang! Your room 202 will be ready from 14:00.", "outbound", "read"),
            ("Can we check in early, around 11?", "inbound", "received"),
        ):
            MessageLog.objects.create(
                tenant=hotel.tenant,
                direction=direction,
                guest=reservation.guest,
                reservation=reservation,
                origin=MessageOrigin.MANUAL if direction == Direction.OUTBOUND else "",
                body=body,
                status=MessageStatus(status),
            )
    return reservation


@pytest.mark.parametrize(
    ("who", "size"),
    [("owner", "desktop"), ("staff", "desktop"), ("owner", "phone"), ("staff", "phone")],
)
def test_it_walks_the_lists_and_details(live_server, page, screenshot, who, size) -> None:
    hotel = factories.make_hotel("Hotel Nusantara")
    reservation = furnish(hotel)
    if size == "phone":
        page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies(session_cookie(live_server.url, getattr(hotel, who)))

    page.goto(f"{live_server.url}/guests/")
    page.get_by_role("link", name="Charlotte van der Berg-Hoogendijk", exact=True).wait_for()
    screenshot("1-guests")
    page.get_by_label("Search guests").fill("wijaya")
    page.wait_for_url("**q=wijaya**")
    page.locator("#list-results").get_by_text("1–1 of 1 guest").wait_for()
    assert page.locator("#list-results tbody tr").count() == 1
    page.get_by_label("Search guests").fill("nobody")
    page.get_by_text("No guests match “nobody”.").wait_for()
    screenshot("2-guests-no-match")
    page.get_by_role("link", name="Clear the search", exact=True).click()
    page.get_by_role("link", name="Emi Tanaka", exact=True).wait_for()
    if size == "desktop":
        page.get_by_role("link", name="Points", exact=True).click()
        page.wait_for_url("**/guests/?sort=-points")
        # The URL can change before the swap lands: wait for the table, don't read it at once.
        page.locator("#list-results tbody tr").first.get_by_text("Emi Tanaka").wait_for()
        assert "Points" in page.locator("th[aria-sort=descending]").text_content()
    else:
        page.get_by_label("Sort by").select_option("-points")
        page.wait_for_url("**sort=-points**")
        page.locator("#list-results tbody tr").first.get_by_text("Emi Tanaka").wait_for()

    page.get_by_role("link", name=reservation.guest.full_name, exact=True).click()
    page.get_by_role("heading", name="WhatsApp consent").wait_for()
    screenshot("3-guest")

    page.goto(f"{live_server.url}/reservations/")
    page.get_by_role("link", name="Pre-arrival 2", exact=True).click()
    page.wait_for_url("**/reservations/?status=pre-arrival")
    page.locator("#list-results").get_by_text("1–2 of 2 reservations").wait_for()
    assert page.locator("#list-results tbody tr").count() == 2
    page.get_by_label("Search reservations").fill("BK7101")
    page.wait_for_url("**q=BK7101**")
    page.locator("#list-results").get_by_text("1–1 of 1 reservation").wait_for()
    # The search stayed in the tab.
    assert "status=pre-arrival" in page.url
    screenshot("4-reservations-search")
    page.get_by_label("Search reservations").fill("")
    page.locator("#list-results").get_by_text("1–2 of 2 reservations").wait_for()
    page.get_by_role("link", name="All 6", exact=True).click()
    page.locator("#list-results").get_by_text("1–6 of 6 reservations").wait_for()
    screenshot("5-reservations")

    page.get_by_role("link", name=reservation.guest.full_name, exact=True).click()
    page.get_by_role("heading", name="Scheduled automations").wait_for()
    assert page.get_by_text("Pre-arrival message").is_visible()
    screenshot("6-reservation")
    page.get_by_role("button", name="Send message").click()
    page.get_by_role("dialog").get_by_role("button", name="Send now").wait_for()
    screenshot("7-send-dialog")


def test_keyboard_users_keep_their_place_and_hear_the_new_count(live_server, page) -> None:
    hotel = factories.make_hotel("Hotel Nusantara")
    furnish(hotel)
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page.goto(f"{live_server.url}/reservations/")

    tab = page.get_by_role("link", name="Pre-arrival 2", exact=True)
    tab.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/reservations/?status=pre-arrival")
    page.locator("#list-results").get_by_text("1–2 of 2 reservations").wait_for()

    # Focus stays on the tab just chosen (a new element after the swap), not the page's top.
    page.wait_for_function("document.activeElement.getAttribute('aria-current') === 'page'")
    assert "Pre-arrival" in page.evaluate("document.activeElement.textContent")
    announced = page.locator("#list-announcer")
    assert announced.get_attribute("role") == "status"
    page.wait_for_function(
        "document.getElementById('list-announcer').textContent.includes('1–2 of 2')"
    )


def staying_then_arriving_from(page: Any, day: str) -> None:
    """Stays from `day` (2 of the furnished 6), then only arrivals from it (1): each filter
    applies as soon as it is chosen, and the URL says so."""
    page.get_by_label("From").fill(day)
    page.wait_for_url(f"**from={day}**")
    page.locator("#list-results").get_by_text("1–2 of 2 reservations").wait_for()
    page.get_by_label("Dates").select_option("arriving")
    page.wait_for_url("**dates=arriving**")
    page.locator("#list-results").get_by_text("1–1 of 1 reservation").wait_for()


def test_a_date_filter_applies_as_soon_as_it_is_chosen(live_server, page) -> None:
    """Without eval: the Content-Security-Policy forbids it, so no hx-trigger filter may need it."""
    hotel = factories.make_hotel("Hotel Nusantara")
    furnish(hotel)
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page.goto(f"{live_server.url}/reservations/")
    page.locator("#list-results").get_by_text("1–6 of 6 reservations").wait_for()
    later = (timezone.localdate() + dt.timedelta(days=6)).isoformat()

    staying_then_arriving_from(page, later)


def test_back_shows_the_list_and_its_filters_as_they_were(live_server, page) -> None:
    """Back after a filter: the page comes from its URL, so the boxes say what the list shows,
    and no script runs twice (a second run of innbox.js threw, and doubled every handler)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    hotel = factories.make_hotel("Hotel Nusantara")
    furnish(hotel)
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page.goto(f"{live_server.url}/reservations/")
    page.locator("#list-results").get_by_text("1–6 of 6 reservations").wait_for()
    later = (timezone.localdate() + dt.timedelta(days=6)).isoformat()
    staying_then_arriving_from(page, later)

    page.go_back()
    page.wait_for_url(f"**from={later}**")
    page.locator("#list-results").get_by_text("1–2 of 2 reservations").wait_for()

    assert page.get_by_label("Dates").input_value() == "staying"
    assert page.get_by_label("From").input_value() == later
    assert errors == []
