"""Indonesian on a phone: longer words must still fit the reservation list and detail pages."""

from __future__ import annotations

import datetime as dt

import pytest

from hotel.models import ReservationStatus
from tests import factories
from tests.helpers import PHONE, open_as, stay, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_staff_switch_to_indonesian_and_walk_the_reservations_on_a_phone(
    live_server, browser, screenshot
) -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    factories.fill_every_table(hotel)
    stay(hotel, status=ReservationStatus.ON_STAY, room="204", check_in=today(hotel), nights=3)
    stay(hotel, status=ReservationStatus.CHECKED_OUT, room="305",
         check_in=today(hotel) - dt.timedelta(days=5), nights=2)  # fmt: skip
    context, page = open_as(browser, live_server, hotel.staff, PHONE)
    try:
        page.get_by_role("button", name="Menu").click()
        page.get_by_label("Language").select_option("id")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Dasbor").is_visible()

        page.get_by_role("button", name="Menu").click()
        page.get_by_role("navigation", name="Utama").get_by_role("link", name="Reservasi").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Reservasi", exact=True).is_visible()
        assert page.get_by_text("Sudah check-out").first.is_visible()
        assert fits_the_width(page)
        screenshot("reservations-id-phone", of=page)

        page.get_by_role("link", name=hotel.guest.full_name).first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Otomatisasi terjadwal").is_visible()
        assert fits_the_width(page)
        screenshot("reservation-id-phone", of=page)

        page.get_by_role("button", name="Kirim pesan").click()
        assert page.get_by_role(
            "heading", name=f"Kirim pesan ke {hotel.guest.full_name}"
        ).is_visible()
        assert fits_the_width(page)
        screenshot("send-dialog-id-phone", of=page)
    finally:
        context.close()
