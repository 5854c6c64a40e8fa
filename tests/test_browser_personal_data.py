"""In Chromium: a guest's page shows their consent history; staff record an opt-out the guest
asked for at the desk; the owner reads everything held about the guest, then erases a guest who
is in house after the warning and the second yes. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hotel.consent import record_consent_change
from hotel.models import ConsentChange, ConsentSource, Guest, Reservation
from messaging.models import Direction, MessageLog, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import PHONE, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def guest(hotel_a: factories.Hotel) -> Guest:
    """Siti, in house, who once wrote STOP and later MULAI."""
    with acting_for_tenant(hotel_a.tenant.id, role="owner"):
        Reservation.objects.filter(pk=hotel_a.reservation.pk).update(status="on-stay")
        guest = Guest.objects.get(pk=hotel_a.guest.pk)
        guest.first_name, guest.last_name, guest.email = "Siti", "Rahayu", "siti@example.com"
        guest.whatsapp_chat_id = guest.phone_e164.lstrip("+") + "@c.us"
        guest.save()
        for words, change, answer in (
            ("BERHENTI", ConsentChange.OPTED_OUT, "Anda tidak akan menerima pesan lagi."),
            ("MULAI", ConsentChange.OPTED_IN, "Anda akan menerima pesan kami lagi."),
        ):
            said = MessageLog.objects.create(
                tenant=hotel_a.tenant,
                direction=Direction.INBOUND,
                guest=guest,
                body=words,
                chat_id=guest.whatsapp_chat_id,
                status=MessageStatus.RECEIVED,
            )
            record_consent_change(
                guest,
                change,
                ConsentSource.GUEST_MESSAGE,
                at=timezone.now() - dt.timedelta(days=2),
                text_shown=answer,
                message_id=said.pk,
            )
    return guest


def open_page(browser: Any, live_server: Any, user: Any, **viewport: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 900})
    context.add_cookies(session_cookie(live_server.url, user))
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_staff_see_the_history_and_record_an_opt_out_from_the_desk(
    live_server, browser, hotel_a: factories.Hotel, guest: Guest, screenshot
) -> None:
    context, page = open_page(browser, live_server, hotel_a.staff)
    try:
        page.goto(f"{live_server.url}/guests/{guest.public_id}/")
        history = page.locator(".consent-history li")
        assert history.count() == 2
        assert "Opted back in" in history.nth(0).inner_text()
        assert "The guest wrote: “BERHENTI”" in history.nth(1).inner_text()
        assert page.get_by_text("Only an owner can export or erase").is_visible()
        screenshot("staff-guest-page", of=page)

        page.get_by_text("Record a change the guest told you of").click()
        page.get_by_label("What changed").select_option("opted-out")
        page.get_by_label("Note (optional)").fill("Asked at the front desk")
        page.get_by_role("button", name="Record", exact=True).click()
        page.wait_for_url(f"{live_server.url}/guests/{guest.public_id}/")
        assert page.get_by_text("Recorded in the guest's consent history.").is_visible()
        assert "Staff entry" in page.locator(".consent-history li").first.inner_text()
        assert hotel_a.staff.email in page.locator(".consent-history li").first.inner_text()
        screenshot("staff-recorded", of=page)
    finally:
        context.close()


def test_the_owner_reads_everything_then_erases_a_guest_in_house(
    live_server, browser, hotel_a: factories.Hotel, guest: Guest, screenshot
) -> None:
    context, page = open_page(browser, live_server, hotel_a.owner)
    try:
        page.goto(f"{live_server.url}/guests/{guest.public_id}/")
        screenshot("owner-guest-page", of=page)
        page.get_by_role("link", name="See everything held").click()
        assert page.get_by_role("heading", name="Everything we hold about this guest").is_visible()
        assert page.get_by_role("heading", name="Consent history").is_visible()
        assert page.get_by_text("siti@example.com").first.is_visible()
        screenshot("owner-everything-held", of=page)

        page.goto(f"{live_server.url}/guests/{guest.public_id}/")
        page.get_by_role("link", name="Erase…").click()
        assert page.get_by_text("This guest is staying with us now.", exact=True).is_visible()
        screenshot("owner-erase-warning", of=page)
        page.get_by_label("I understand this cannot be undone.").check()
        page.get_by_role("button", name="Erase personal data").click()
        assert page.get_by_text("This guest is in house: confirm").is_visible()
        page.get_by_label("Erase anyway: this guest is staying with us now.").check()
        page.get_by_label("I understand this cannot be undone.").check()
        page.get_by_role("button", name="Erase personal data").click()
        page.wait_for_url(f"{live_server.url}/guests/{guest.public_id}/")
        assert page.get_by_text("This guest's personal data was removed on").is_visible()
        assert not page.get_by_text("siti@example.com").count()
        screenshot("owner-erased", of=page)
    finally:
        context.close()


def test_the_guest_page_fits_a_phone_in_indonesian(
    live_server, browser, hotel_a: factories.Hotel, guest: Guest, screenshot
) -> None:
    hotel_a.owner.ui_language = "id"
    hotel_a.owner.save(update_fields=["ui_language"])
    context, page = open_page(browser, live_server, hotel_a.owner, **PHONE)
    try:
        page.goto(f"{live_server.url}/guests/{guest.public_id}/")
        assert page.get_by_role("heading", name="Data pribadi").is_visible()
        assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth + 1")
        screenshot("owner-guest-page-phone-id", of=page)
    finally:
        context.close()
