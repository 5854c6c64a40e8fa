"""In Chromium, on a desktop and on a phone in Indonesian: the owner switches the mid-stay check
off, moves the checkout reminder, and finds both kept; a time in the quiet hours is refused on
the field."""

from __future__ import annotations

import datetime as dt

import pytest

from messaging.defaults import seed_default_templates
from messaging.models import JourneySettings, MessageTemplate
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_shapes_the_journey_on_a_desktop(live_server, page, screenshot) -> None:
    hotel = factories.make_hotel("Hotel Nusantara")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
    page.context.add_cookies(session_cookie(live_server.url, hotel.owner))
    page.goto(f"{live_server.url}/settings/journey/")
    screenshot("1-journey")

    mid_stay = page.locator("#touchpoint-mid-stay")
    mid_stay.get_by_label("Send automatically").uncheck()
    page.locator("#touchpoint-checkout").get_by_label("At (hotel time)").fill("19:45")
    page.get_by_role("button", name="Save the journey").click()
    page.locator(".toast", has_text="The guest journey is saved.").wait_for()

    assert not page.locator("#touchpoint-mid-stay").get_by_label("Send automatically").is_checked()
    with acting_for_tenant(hotel.tenant.id):
        assert not MessageTemplate.objects.get(tenant=hotel.tenant, trigger="mid-stay").is_active
        settings = JourneySettings.objects.get(tenant=hotel.tenant)
        assert settings.checkout_reminder_time == dt.time(19, 45)

    page.locator("#touchpoint-checkout").get_by_label("At (hotel time)").fill("22:30")
    page.get_by_role("button", name="Save the journey").click()
    page.get_by_text("22:30 is in the quiet hours").wait_for()
    screenshot("2-refused")


def test_the_journey_page_on_a_phone_in_indonesian(live_server, browser, screenshot) -> None:
    hotel = factories.make_hotel("Hotel Nusantara")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
    hotel.owner.ui_language = "id"
    hotel.owner.save(update_fields=["ui_language"])
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        context.add_cookies(session_cookie(live_server.url, hotel.owner))
        phone.goto(f"{live_server.url}/settings/journey/")
        phone.get_by_role("heading", name="Perjalanan tamu", level=1).wait_for()
        # Nothing sticks out past the screen's edge.
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        screenshot("phone-id", of=phone)
    finally:
        context.close()
