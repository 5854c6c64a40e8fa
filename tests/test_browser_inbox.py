"""The inbox in Chromium: two staff members answer a guest together and each sees the other's
reply, the guest's new messages and the delivery ticks appear without a reload; the sidebar
counts unread messages; the reply box keeps what is typed while the thread refreshes; saved
replies, notes and templates; alerts; the phone's two screens; Indonesian. Screenshots of the
list and the thread, desktop and phone, both languages, go to test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from automation import queue
from conversations import services
from conversations.models import Conversation, SavedReply
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from tenancy.db import acting_for_tenant
from tenancy.models import Membership, Role
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import PHONE, guest_writes, session_cookie, wait_for, whatsapp_acks
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
UNKNOWN_CHAT = "447911123401@c.us"
# Records what the page would have shown as browser notifications.
FAKE_NOTIFICATIONS = """
window.__notified = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notified.push({ title, body: options.body }); }
  addEventListener() {}
};
"""


@pytest.fixture
def hotel(settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # the sandbox: sends are recorded, not delivered
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    hotel = factories.make_hotel("Hotel Nusantara")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        WahaConfiguration.objects.create(
            tenant=hotel.tenant,
            session_name="default",
            status=SessionStatus.WORKING,
            status_changed_at=timezone.now() - dt.timedelta(hours=1),
        )
        Reservation.objects.filter(pk=hotel.reservation.pk).update(
            status=ReservationStatus.ON_STAY, room_number="214"
        )
    return hotel


def colleague(hotel: factories.Hotel, language: str = "en") -> Any:
    user = factories.make_user("desk-")
    user.ui_language = language
    user.save(update_fields=["ui_language"])
    Membership.objects.create(tenant=hotel.tenant, user=user, role=Role.STAFF)
    return user


def browser_of(browser: Any, live_server: Any, user: Any, viewport: dict) -> tuple[Any, Any]:
    context = browser.new_context(viewport=viewport)
    context.add_init_script(FAKE_NOTIFICATIONS)
    context.add_cookies(session_cookie(live_server.url, user))
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def chat_of(guest: Guest) -> str:
    return f"{guest.phone_e164.lstrip('+')}@c.us"


def fits_the_width(page: Any) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def a_lively_thread(hotel: factories.Hotel) -> Conversation:
    """A guest's conversation as the front desk lives it: questions, an automated message,
    staff's answers in every delivery state, a note, a takeover, a failure."""
    guest_writes(Client(), chat_of(hotel.guest), "Selamat siang! Jam berapa sarapan besok?")
    conversation = Conversation.objects.get(guest=hotel.guest)
    with acting_for_tenant(hotel.tenant.id):
        for status, body in (
            ("read", "Sarapan *06.30–10.00* di restoran lantai 2. _Selamat menikmati!_"),
            ("delivered", "Apakah Anda butuh taksi ke bandara?"),
            ("failed", "Kami sudah siapkan handuk tambahan."),
        ):
            services.reply(hotel.tenant, conversation, hotel.staff, free_text=body)
            MessageLog.objects.filter(body=body).update(
                status=status,
                failure_reason="WhatsApp reported an error delivering this message"
                if status == "failed"
                else "",
            )
        services.add_note(hotel.tenant, conversation, hotel.owner, "Tamu VIP: upgrade kalau ada.")
    guest_writes(Client(), chat_of(hotel.guest), "Terima kasih 🙏 Ya, taksi jam 08.00 ya")
    guest_writes(Client(), UNKNOWN_CHAT, "Hi, do you have a room for tonight?")
    other = Guest.objects.create(
        tenant=hotel.tenant, first_name="Budi", last_name="Santoso", phone_e164="+6281299990001"
    )
    guest_writes(Client(), chat_of(other), "Saya mau check-out jam 2 siang, bisa?")
    with acting_for_tenant(hotel.tenant.id):
        services.escalate(
            hotel.tenant, Conversation.objects.get(guest=other), "late checkout needs a person"
        )
    return conversation


def test_two_staff_answer_together_and_see_it_without_a_reload(
    live_server, browser, hotel, screenshot
) -> None:
    guest_writes(Client(), chat_of(hotel.guest), "Selamat siang, boleh minta handuk tambahan?")
    dewi = colleague(hotel)
    first, page = browser_of(browser, live_server, hotel.staff, DESKTOP)
    second, other = browser_of(browser, live_server, dewi, DESKTOP)
    try:
        page.goto(f"{live_server.url}/guests/")
        badge = page.locator("#inbox-badge")
        assert badge.inner_text().startswith("1") and page.title().startswith("(1) ")
        page.get_by_role("link", name="Inbox").first.click()
        row = page.locator(".inbox-row", has_text=hotel.guest.full_name)
        assert "is-unread" in row.get_attribute("class")

        other.goto(f"{live_server.url}/inbox/")
        other.locator(".inbox-row", has_text=hotel.guest.full_name).click()
        other.locator(".msg-text", has_text="boleh minta handuk tambahan?").wait_for()
        # Dewi opened it: the first person's list and badge follow, no reload.
        page.locator(".inbox-row.is-unread").wait_for(state="detached")
        page.locator("#inbox-badge[hidden]").wait_for(state="attached")
        # The title follows the badge once the swap settles, a moment later.
        page.wait_for_function("() => !document.title.startsWith('(')")

        page.locator(".inbox-row", has_text=hotel.guest.full_name).click()
        other.get_by_label("Your message").fill("Tentu, *segera* kami antar ke kamar 214.")
        other.locator(".reply-preview strong", has_text="segera").wait_for()
        other.get_by_role("button", name="Send").click()
        other.locator(".msg-outbound", has_text="segera kami antar").wait_for()
        assert other.get_by_label("Your message").input_value() == ""

        # The first person sees Dewi's reply, and that Dewi holds the conversation.
        mine = page.locator(".msg-outbound", has_text="segera kami antar")
        mine.wait_for()
        assert dewi.email in mine.locator(".msg-author").inner_text()
        page.get_by_text(f"{dewi.email} answers").wait_for()
        assert mine.locator(".ticks-queued").count() == 1

        # The worker sends it; WhatsApp reports it delivered, then read: ticks move by themselves.
        while queue.run_once():  # the send, and the guest's turn (nobody answers automatically)
            pass
        mine.locator(".ticks-sent").wait_for()
        sent = MessageLog.objects.get(body__contains="segera")
        whatsapp_acks(Client(), sent.waha_message_id, 2)
        mine.locator(".ticks-delivered").wait_for()
        whatsapp_acks(Client(), sent.waha_message_id, 3)
        mine.locator(".ticks-read").wait_for()

        # The first person is typing when the guest writes again: the text stays.
        page.get_by_label("Your message").fill("Half-written answer")
        guest_writes(Client(), chat_of(hotel.guest), "Terima kasih banyak!")
        page.locator(".msg-text", has_text="Terima kasih banyak!").wait_for()
        other.locator(".msg-text", has_text="Terima kasih banyak!").wait_for()
        assert page.get_by_label("Your message").input_value() == "Half-written answer"
        screenshot("desktop-thread-two-staff", of=page)
    finally:
        first.close()
        second.close()


def test_reply_box_saved_replies_templates_notes_and_opted_out_warning(
    live_server, browser, hotel, screenshot
) -> None:
    SavedReply.objects.create(
        tenant=hotel.tenant, name="Breakfast", body="Hi {{guestName}}, breakfast is *6:30–10*."
    )
    conversation = services.of_guest(hotel.tenant, hotel.guest, create=True)
    context, page = browser_of(browser, live_server, hotel.staff, DESKTOP)
    try:
        page.goto(f"{live_server.url}/inbox/{conversation.public_id}/")
        page.get_by_label("Insert a saved reply").select_option(label="Breakfast")
        text = page.get_by_label("Your message")
        assert text.input_value() == "Hi {{guestName}}, breakfast is *6:30–10*."
        preview = page.locator("#reply-preview")
        preview.get_by_text(f"Hi {hotel.guest.full_name}, breakfast is").wait_for()
        assert preview.locator("strong").inner_text() == "6:30–10"

        page.get_by_label("Template").select_option("on-stay")
        assert text.is_disabled()
        preview.get_by_text("Hotel Nusantara").wait_for()
        page.get_by_label("Template").select_option("")

        page.get_by_label("Internal note").check()
        text.fill("Guest allergic to nuts")
        page.get_by_role("button", name="Add note").click()
        page.locator(".thread-note", has_text="Guest allergic to nuts").wait_for()
        assert not MessageLog.objects.exists()

        page.get_by_label("Reply to the guest").check()
        text.fill("Hi {{nope}}")
        page.get_by_role("button", name="Send").click()
        page.locator("#inbox-problem", has_text="Unknown variable").wait_for()
        assert text.input_value() == "Hi {{nope}}"  # nothing lost

        Guest.objects.filter(pk=hotel.guest.pk).update(opted_out_at=timezone.now())
        page.reload()
        page.get_by_text("This guest opted out of WhatsApp messages.").wait_for()
        assert page.get_by_label("Reply to the guest").is_disabled()
        assert page.get_by_label("Internal note").is_checked()
        screenshot("desktop-opted-out", of=page)
    finally:
        context.close()


def test_actions_and_an_unknown_number_linked_in_the_browser(
    live_server, browser, hotel, screenshot
) -> None:
    guest_writes(Client(), UNKNOWN_CHAT, "Hi, it is Ana from room 214, writing from a new phone")
    context, page = browser_of(browser, live_server, hotel.owner, DESKTOP)
    try:
        page.goto(f"{live_server.url}/inbox/")
        page.locator(".inbox-row", has_text="+44 7911 123401").click()
        page.get_by_role("button", name="Take over").click()
        page.get_by_text(f"{hotel.owner.email} answers").wait_for()
        page.get_by_label("Assign to").select_option(label=hotel.staff.email)
        page.get_by_role("button", name="Assign", exact=True).click()
        page.get_by_text(f"Assigned to {hotel.staff.email}").first.wait_for()
        page.get_by_role("button", name="Close").click()
        page.get_by_role("button", name="Reopen").wait_for()
        page.get_by_role("button", name="Reopen").click()
        page.get_by_role("button", name="Hand back to the concierge").click()
        page.get_by_text("The concierge answers").wait_for()

        page.get_by_label("Find a guest").fill("Ana")
        match = page.locator(".guest-matches li", has_text=hotel.guest.full_name)
        match.get_by_role("button", name="Link").click()
        page.locator("#conversation-details").get_by_role(
            "link", name=hotel.guest.full_name
        ).wait_for()
        assert Conversation.objects.get().guest == hotel.guest
        screenshot("desktop-linked", of=page)
    finally:
        context.close()


def test_alerts_announce_a_new_message_once_they_are_on(live_server, browser, hotel) -> None:
    context, page = browser_of(browser, live_server, hotel.staff, DESKTOP)
    try:
        page.goto(f"{live_server.url}/inbox/")
        page.get_by_role("button", name="Turn on alerts").click()
        page.get_by_role("button", name="Alerts on").wait_for()
        page.goto(f"{live_server.url}/reservations/")  # any page: the sidebar's badge listens
        page.locator('#inbox-badge[hx-get*="?m="]').wait_for(state="attached")  # it polled
        guest_writes(Client(), chat_of(hotel.guest), "Is the spa open today?")
        wait_for(lambda: page.evaluate("window.__notified.length"), "a notification")
        assert page.evaluate("window.__notified") == [
            {"title": hotel.guest.full_name, "body": "Is the spa open today?"}
        ]
        page.locator("#inbox-badge", has_text="1").wait_for()
        page.wait_for_function("() => document.title.startsWith('(1) ')")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_list_and_thread_on_a_phone_are_two_screens(
    live_server, browser, hotel, screenshot, language: str
) -> None:
    a_lively_thread(hotel)
    user = colleague(hotel, language)
    context, page = browser_of(browser, live_server, user, PHONE)
    inbox, back = ("Inbox", "Inbox") if language == "en" else ("Kotak masuk", "Kotak masuk")
    try:
        page.goto(f"{live_server.url}/inbox/")
        assert page.get_by_role("heading", name=inbox).is_visible()
        assert page.locator(".inbox-row").count() == 3
        assert not page.locator(".inbox-placeholder").is_visible()
        assert fits_the_width(page)
        screenshot(f"phone-list-{language}", of=page)

        page.locator(".inbox-row", has_text=hotel.guest.full_name).click()
        page.get_by_role("heading", name=hotel.guest.full_name).wait_for()
        assert not page.locator(".inbox-list").is_visible()
        assert page.locator(".msg").first.is_visible()
        # Scrolled to the newest message.
        assert page.locator(".msg-text", has_text="taksi jam 08.00").is_visible()
        assert fits_the_width(page)
        screenshot(f"phone-thread-{language}", of=page)

        page.get_by_role("link", name=back).first.click()
        page.locator(".inbox-list").wait_for()
        assert page.locator(".inbox-row").count() == 3
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "id"])
def test_list_and_thread_on_a_desktop(
    live_server, browser, hotel, screenshot, language: str
) -> None:
    conversation = a_lively_thread(hotel)
    user = colleague(hotel, language)
    context, page = browser_of(browser, live_server, user, DESKTOP)
    try:
        page.goto(f"{live_server.url}/inbox/")
        assert fits_the_width(page)
        screenshot(f"desktop-list-{language}", of=page)
        page.goto(f"{live_server.url}/inbox/{conversation.public_id}/")
        assert page.locator(".inbox-list").is_visible()
        assert page.locator(".msg-text", has_text="taksi jam 08.00").is_visible()
        assert fits_the_width(page)
        screenshot(f"desktop-thread-{language}", of=page)
        if language == "id":
            assert page.get_by_role("button", name="Ambil alih").is_visible()
            assert page.get_by_text("Catatan internal").first.is_visible()
    finally:
        context.close()
