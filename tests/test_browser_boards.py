"""In Chromium: an order the agent writes appears on /orders/ without a reload, staff move it to
delivered with the card's buttons, and the guest's updates are queued and sent by the worker;
a move on a stale board says why nothing happened; the boards fit a phone in Indonesian."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agent.models import HousekeepingRequest, HousekeepingType, OrderStatus, RoomServiceOrder
from automation import queue
from messaging.models import MessageLog, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import PHONE, open_as, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_width(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def the_agent_takes_an_order(hotel: factories.Hotel, **fields: Any) -> RoomServiceOrder:
    """What order_in_room_dining writes once the guest said yes."""
    fields = {
        "items": [{"name": "Nasi goreng", "quantity": 2}, {"name": "Es teh manis", "quantity": 2}],
        "total": Decimal("170000"),
        "currency": "IDR",
        **fields,
    }
    with acting_for_tenant(hotel.tenant.id):
        return RoomServiceOrder.objects.create(
            tenant=hotel.tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number=hotel.reservation.room_number,
            **fields,
        )


def test_an_order_appears_without_a_reload_and_staff_deliver_it(
    live_server, page, screenshot, settings
) -> None:
    settings.WAHA_BASE_URL = None  # the sandbox: sends are recorded, nothing leaves
    hotel = factories.make_hotel("Hotel Nusantara")
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page.goto(f"{live_server.url}/orders/")
    page.get_by_role("heading", name="Room service orders").wait_for()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Orders").inner_text().strip() == "Orders"

    placed = the_agent_takes_an_order(hotel)

    card = page.locator(".board-card", has_text="Nasi goreng")
    page.locator(".board-column-received .board-card", has_text="Nasi goreng").wait_for()
    assert page.evaluate("window.sameDocument") is True
    assert "Room 101" in card.inner_text() and "IDR 170,000" in card.inner_text()
    nav.get_by_role("link", name="Orders 1 open orders").wait_for()
    screenshot("1-new-order-arrived")

    for button, column in [("Confirm", "confirmed"), ("Start preparing", "preparing"),
                           ("Mark delivered", "delivered")]:  # fmt: skip
        card.get_by_role("button", name=button).click()
        page.locator(f".board-column-{column} .board-card", has_text="Nasi goreng").wait_for()
    page.get_by_text("Room 101: Delivered. The guest is told on WhatsApp.").wait_for()
    assert page.evaluate("window.sameDocument") is True
    assert nav.get_by_role("link", name="Orders").inner_text().strip() == "Orders"
    assert card.get_by_role("button").count() == 0  # delivered: nothing more to do
    screenshot("2-delivered")

    placed.refresh_from_db()
    assert placed.status == OrderStatus.DELIVERED
    updates = list(MessageLog.objects.filter(guest=hotel.guest).order_by("pk"))
    assert [m.body for m in updates] == [
        "Pesanan Anda sudah dikonfirmasi: 2 × Nasi goreng, 2 × Es teh manis.",
        "Dapur kami sedang menyiapkan pesanan Anda.",
        "Pesanan Anda sudah diantar ke kamar 101. Selamat menikmati!",
    ]
    while queue.run_once():  # the worker beside the web server
        pass
    assert {m.status for m in MessageLog.objects.filter(guest=hotel.guest)} == {MessageStatus.SENT}


def test_a_move_on_a_stale_board_says_what_happened_and_cancelling_asks_first(
    live_server, page, screenshot, settings
) -> None:
    settings.WAHA_BASE_URL = None
    hotel = factories.make_hotel("Hotel Nusantara")
    placed = the_agent_takes_an_order(hotel)
    page.context.add_cookies(session_cookie(live_server.url, hotel.owner))
    page.goto(f"{live_server.url}/orders/")
    card = page.locator(".board-card", has_text="Nasi goreng")
    card.wait_for()

    # A colleague confirmed it a moment ago; this board has not refreshed yet.
    RoomServiceOrder.objects.filter(pk=placed.pk).update(status=OrderStatus.CONFIRMED)
    card.get_by_role("button", name="Confirm").click()

    page.get_by_role("status").get_by_text("already Confirmed: someone moved it").wait_for()
    page.locator(".board-column-confirmed .board-card", has_text="Nasi goreng").wait_for()
    screenshot("1-stale-move-explained")

    page.once("dialog", lambda dialog: dialog.dismiss())
    card.get_by_role("button", name="Cancel").click()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Cancel").click()
    page.get_by_text("1 cancelled in the last 24 hours").wait_for()
    placed.refresh_from_db()
    assert placed.status == OrderStatus.CANCELLED
    assert MessageLog.objects.get().body.startswith("Mohon maaf: pesanan Anda")


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_boards_on_a_phone_and_a_desktop(
    live_server, browser, screenshot, settings, language: str
) -> None:
    settings.WAHA_BASE_URL = None
    hotel = factories.make_hotel("Hotel Nusantara Beach Resort & Spa Ubud")
    hotel.staff.ui_language = language
    hotel.staff.save(update_fields=["ui_language"])
    the_agent_takes_an_order(hotel)
    the_agent_takes_an_order(
        hotel,
        status=OrderStatus.PREPARING,
        items=[
            {
                "name": "Mie goreng seafood ekstra pedas tanpa bawang",
                "quantity": 1,
                "notes": "no onions at all please",
            }
        ],
        total=Decimal("95000"),
    )
    with acting_for_tenant(hotel.tenant.id):
        HousekeepingRequest.objects.create(
            tenant=hotel.tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            request_type=HousekeepingType.MAINTENANCE,
            details="The air conditioner drips on the desk.",
        )
    for size, viewport in [("phone", PHONE), ("desktop", {"width": 1366, "height": 768})]:
        context, page = open_as(browser, live_server, hotel.staff, viewport)
        try:
            for path in ("/orders/", "/requests/"):
                page.goto(live_server.url + path)
                page.locator(".board-card").first.wait_for()
                assert page.locator("main h1").is_visible()
                assert fits_the_width(page), f"{path} scrolls sideways on a {size} in {language}"
                screenshot(f"{path.strip('/')}-{language}-{size}", of=page)
        finally:
            context.close()


def test_the_board_does_not_poll_while_its_tab_is_hidden_and_refreshes_when_shown(
    live_server, page, settings
) -> None:
    settings.WAHA_BASE_URL = None
    hotel = factories.make_hotel("Hotel Nusantara")
    page.context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page.goto(f"{live_server.url}/orders/")
    page.get_by_role("heading", name="Room service orders").wait_for()
    polls: list[str] = []
    page.on(
        "request", lambda request: "/orders/board/" in request.url and polls.append(request.url)
    )

    # The tab goes to the background; a poll comes due.
    page.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true})")
    page.evaluate("htmx.trigger('#board', 'board-refresh')")
    page.evaluate("fetch('/healthz')")  # a request after it, so a poll would have gone first
    assert polls == []

    the_agent_takes_an_order(hotel)
    with page.expect_request(lambda request: "/orders/board/" in request.url):
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    page.locator(".board-column-received .board-card", has_text="Nasi goreng").wait_for()
