"""In Chromium: the owner edits a template and watches the preview change; staff send it to a demo
reservation by hand and find it in the message log."""

from __future__ import annotations

import pytest

from automation import queue
from hotel.models import Reservation
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms.models import PMSConfiguration
from pms.services import sync_now
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_edit_preview_send_and_find_it_in_the_log(live_server, page, screenshot, settings) -> None:
    settings.WAHA_BASE_URL = None  # the sandbox: recorded, not delivered
    hotel = factories.make_hotel("Hotel Nusantara")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    sync_now(hotel.tenant)  # the demo PMS fills the hotel
    reservation = (
        Reservation.objects.filter(
            tenant=hotel.tenant, status="pre-arrival", guest__language="en", room_number__gt=""
        )
        .exclude(pk=hotel.reservation.pk)
        .order_by("check_in")
        .first()
    )
    page.context.add_cookies(session_cookie(live_server.url, hotel.owner))  # templates: owners

    page.goto(f"{live_server.url}/settings/templates/?trigger=on-stay")
    english = page.get_by_label("Text").first
    preview = page.locator(".preview-box").first
    preview.get_by_text("Welcome to Hotel Nusantara").wait_for()
    screenshot("1-templates")

    english.fill("*Selamat pagi* {{guestName}}! Room {{roomNumber}} is ready for you.")
    preview.locator("strong", has_text="Selamat pagi").wait_for()
    assert "Ana Wijaya! Room 214 is ready for you." in preview.inner_text()
    screenshot("2-preview-changed")
    page.get_by_role("button", name="Save").first.click()
    page.get_by_text("The en text was saved.").wait_for()

    page.context.clear_cookies()
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))  # sending: everyone
    page.goto(f"{live_server.url}/reservations/{reservation.public_id}/")
    page.get_by_role("button", name="Send message").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("On stay template").check()
    dialog.locator(".bubble").get_by_text("Room " + reservation.room_number).wait_for()
    screenshot("3-send-dialog")
    dialog.get_by_role("button", name="Send now").click()
    page.locator(".toast", has_text="Message queued").wait_for()
    timeline = page.locator("#messages-panel")
    timeline.locator(".badge", has_text="Queued").wait_for()
    assert queue.run_once() == 1  # what the worker beside the web server does within a second
    timeline.locator(".badge", has_text="Sent").wait_for()  # the page follows, no reload
    screenshot("3b-sent-without-reload")

    page.get_by_role("link", name="Messages").click()
    row = page.get_by_role("row").filter(has_text=reservation.guest.full_name)
    row.wait_for()
    assert row.get_by_text("Manual").is_visible()
    assert row.get_by_text("Sent").is_visible()
    assert "is ready for you" in row.inner_text()
    screenshot("4-message-log")


def test_typing_your_own_words_sends_them_not_the_template_chosen_by_default(
    live_server, page, settings
) -> None:
    settings.WAHA_BASE_URL = None
    hotel = factories.make_hotel("Hotel Nusantara")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page.goto(f"{live_server.url}/reservations/{hotel.reservation.public_id}/")

    page.get_by_role("button", name="Send message").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Your message").fill("Your taxi is waiting at the lobby.")
    assert dialog.get_by_role("radio", name="My own words").is_checked()
    dialog.locator(".bubble").get_by_text("Your taxi is waiting").wait_for()  # the preview follows
    dialog.get_by_role("button", name="Send now").click()
    page.locator(".toast", has_text="Message queued").wait_for()

    message = MessageLog.objects.get()
    assert message.body == "Your taxi is waiting at the lobby."
    # Staff's own send is in the timeline, not among the stay's automations.
    automations = page.locator("section[aria-labelledby=automations-title]").inner_text()
    assert "Queued" not in automations
