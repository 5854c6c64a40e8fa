"""The shell and dashboard in Chromium, as owner and as staff, on a laptop and on a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from hotel.models import ReservationStatus
from messaging.models import MessageStatus
from tests import factories
from tests.helpers import PHONE, hotel_now, message, open_as, stay, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}


def busy_hotel() -> factories.Hotel:
    """A hotel with a fortnight of history, so the cards and charts have something to show."""
    hotel = factories.make_hotel("Hotel Alpha")
    hotel.tenant.room_count = 12
    hotel.tenant.save(update_fields=["room_count"])
    now = hotel_now(hotel)
    for n in range(5):
        stay(hotel, status=ReservationStatus.ON_STAY, room=f"2{n:02d}",
             check_in=today(hotel) - dt.timedelta(days=1), nights=n + 1)  # fmt: skip
        stay(hotel, room=f"3{n:02d}", check_in=today(hotel) + dt.timedelta(days=n + 1))
    statuses = [MessageStatus.READ, MessageStatus.DELIVERED, MessageStatus.SENT]
    for day in range(14):
        for n in range(day % 5 + 1):
            message(hotel, statuses[n % 3], created=now - dt.timedelta(days=day), sent=now)
    message(hotel, MessageStatus.FAILED, created=now)
    return hotel


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_it_shows_the_dashboard_and_settings_on_a_laptop(
    live_server, browser, screenshot, role
) -> None:
    hotel = busy_hotel()
    context, page = open_as(browser, live_server, getattr(hotel, role), DESKTOP)
    try:
        assert page.get_by_role("heading", name="Dashboard").is_visible()
        assert not page.get_by_role("button", name="Menu").is_visible()
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="Guests").is_visible()
        assert (nav.get_by_role("link", name="Team").count() == 1) == (role == "owner")
        assert (nav.get_by_role("link", name="WhatsApp").count() == 1) == (role == "owner")
        assert page.locator('[data-card="occupancy"] .card-value').inner_text() == "42%"
        assert page.locator("svg[role=img]").count() == 2
        screenshot(f"{role}-dashboard", of=page)

        owners = ["Templates", "Hotel", "WhatsApp", "PMS", "Team", "Audit log"]
        pages = owners if role == "owner" else ["Messages", "Automation"]
        for name in pages:
            nav.get_by_role("link", name=name, exact=True).click()
            page.wait_for_load_state()
            assert (
                nav.get_by_role("link", name=name, exact=True).get_attribute("aria-current")
                == "page"
            )
            screenshot(f"{role}-{name.lower()}", of=page)
    finally:
        context.close()


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_it_opens_the_menu_on_a_phone(live_server, browser, screenshot, role) -> None:
    hotel = busy_hotel()
    context, page = open_as(browser, live_server, getattr(hotel, role), PHONE)
    try:
        menu = page.get_by_role("button", name="Menu")
        nav = page.get_by_role("navigation", name="Main")
        assert menu.get_attribute("aria-expanded") == "false"
        assert not nav.is_visible()
        screenshot(f"{role}-phone-dashboard", of=page)

        menu.focus()
        page.keyboard.press("Enter")  # keyboard works, not only taps
        assert menu.get_attribute("aria-expanded") == "true"
        assert nav.is_visible()
        assert page.get_by_text(getattr(hotel, role).email).is_visible()
        screenshot(f"{role}-phone-menu", of=page)

        page.keyboard.press("Escape")
        assert menu.get_attribute("aria-expanded") == "false"
        assert not nav.is_visible()
        assert page.evaluate("document.activeElement.dataset.menuButton") is not None

        target = "Hotel" if role == "owner" else "Automation"
        menu.click()
        nav.get_by_role("link", name=target, exact=True).click()
        page.wait_for_load_state()
        screenshot(f"{role}-phone-{target.lower()}", of=page)
    finally:
        context.close()


def test_it_switches_to_indonesian_from_the_user_menu(live_server, browser, screenshot) -> None:
    hotel = busy_hotel()
    context, page = open_as(browser, live_server, hotel.staff, DESKTOP)
    try:
        page.get_by_label("Language").select_option("id")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state()

        assert page.get_by_role("heading", name="Dasbor").is_visible()
        nav = page.get_by_role("navigation", name="Utama")
        assert nav.get_by_role("link", name="Reservasi").is_visible()
        assert page.get_by_role("button", name="Keluar").is_visible()
        assert page.locator("html").get_attribute("lang") == "id"
        screenshot("indonesian-dashboard", of=page)

        page.reload()  # stored on the account, not just for one page
        assert page.get_by_role("heading", name="Dasbor").is_visible()
    finally:
        context.close()


def test_toasts_can_be_closed(live_server, browser) -> None:
    hotel = busy_hotel()
    context, page = open_as(browser, live_server, hotel.owner, DESKTOP)
    try:
        page.get_by_role("link", name="Hotel", exact=True).click()
        page.get_by_label("Number of rooms").fill("20")
        page.get_by_role("button", name="Save").click()
        toast = page.locator("[data-toast]")
        assert toast.inner_text().startswith("Hotel details saved.")
        page.get_by_role("button", name="Dismiss").click()
        assert toast.count() == 0
    finally:
        context.close()
