"""Every page of the app, in Chromium, as owner and as staff, at desktop (1366x768) and phone
(390x844) size, on a hotel filled by the demo PMS: each page loads, says what it is, fits the
screen without sideways scrolling, and staff never see an owner's menu entry or page. A
screenshot of each is saved in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from agent.board_demo import seed_boards
from agent.demo import seed_menu_and_knowledge
from automation import queue
from automation.models import AutomationJob, JobKind, JobStatus
from conversations import services as conversations
from conversations.models import Conversation
from feedback import services as feedback_services
from hotel.models import Reservation
from messaging import services as messaging_services
from messaging.defaults import seed_default_templates
from pms.models import PMSConfiguration
from pms.services import sync_now
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
EVERYONE = [
    ("dashboard", "/"),
    ("inbox", "/inbox/"),
    ("conversation", "/inbox/{conversation}/"),
    ("saved replies", "/inbox/saved-replies/"),
    ("guests", "/guests/"),
    ("guest", "/guests/{guest}/"),
    ("reservations", "/reservations/"),
    ("reservation", "/reservations/{reservation}/"),
    ("messages", "/messages/"),
    ("orders", "/orders/"),
    ("requests", "/requests/"),
    ("feedback", "/feedback/"),
    ("automation", "/automation/"),
    ("menu", "/settings/menu/"),
    ("knowledge", "/settings/knowledge/"),
]
OWNERS_ONLY = [
    ("journey", "/settings/journey/"),
    ("templates", "/settings/templates/"),
    ("hotel", "/settings/hotel/"),
    ("whatsapp", "/settings/waha/"),
    ("pms", "/settings/pms/"),
    ("feedback form", "/settings/feedback/"),
    ("concierge", "/settings/agent/"),
    ("team", "/settings/team/"),
    ("audit", "/settings/audit/"),
    ("guest data", "/guests/{guest}/data/"),
    ("erase guest", "/guests/{guest}/erase/"),
]
# The owners' pages in the menu (a guest's data pages are reached from the guest page).
OWNER_MENU = [path for _name, path in OWNERS_ONLY if "{guest}" not in path]


@pytest.fixture
def demo_hotel(settings: Any) -> tuple[factories.Hotel, Reservation, Conversation]:
    """A hotel as the demo shows it: a few hundred stays, messages, a feedback answer, a job."""
    settings.WAHA_BASE_URL = None
    settings.APP_URL = "http://127.0.0.1:9"
    # A long name, as real ones are: it must not push a phone screen wider.
    hotel = factories.make_hotel("Hotel Nusantara Beach Resort & Spa Ubud")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        seed_menu_and_knowledge(hotel.tenant)
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    sync_now(hotel.tenant)
    assert seed_boards(hotel.tenant)  # an order and a request on the boards
    stay = (
        Reservation.objects.filter(tenant=hotel.tenant, status="on-stay")
        .select_related("guest")
        .order_by("check_in")
        .first()
    )
    assert stay is not None
    messaging_services.send_manual(hotel.tenant, reservation=stay, guest=None, trigger="on-stay")
    queue.run_once()
    departed = Reservation.objects.filter(tenant=hotel.tenant, status="checked-out").first()
    assert departed is not None
    feedback_services.issue_link(departed)
    feedback_services.submit(departed, 5, "Lovely breakfast, quiet room.")
    AutomationJob.objects.create(
        tenant=hotel.tenant,
        kind=JobKind.SEND_MESSAGE,
        status=JobStatus.DEAD,
        reservation=stay,
        payload={"reservation": stay.pk, "trigger": "pre-arrival"},
        attempts=8,
        run_at=timezone.now(),
        last_error="WAHA failed on POST /api/sendText (500)",
    )
    conversation = conversations.of_guest(hotel.tenant, stay.guest, create=True)
    assert conversation is not None
    return hotel, stay, conversation


def fits_the_screen(page: Any) -> bool:
    return page.evaluate(
        "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"
    )  # +1: sub-pixel rounding


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ["owner", "staff"])
def test_every_page_loads_fits_the_screen_and_shows_only_what_the_role_may_use(
    live_server, browser, demo_hotel, role: str, size: str, request
) -> None:
    hotel, stay, conversation = demo_hotel
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(session_cookie(live_server.url, getattr(hotel, role)))
    page = context.new_page()
    page.set_default_timeout(10_000)
    pages = EVERYONE + (OWNERS_ONLY if role == "owner" else [])
    try:
        for name, path in pages:
            url = live_server.url + path.format(
                guest=stay.guest.public_id,
                reservation=stay.public_id,
                conversation=conversation.public_id,
            )
            response = page.goto(url)
            assert response is not None and response.status == 200, (name, response)
            assert page.locator("main h1").first.is_visible(), name
            assert fits_the_screen(page), f"{name} scrolls sideways at {size}"
            page.screenshot(
                path=f"test-artifacts/screenshots/every-page-{role}-{size}-{name}.png",
                full_page=True,
            )
        menu = page.locator("nav[aria-label='Main']")
        hrefs = menu.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        for owner_page in OWNER_MENU:
            assert (owner_page in hrefs) == (role == "owner"), (owner_page, hrefs)
        if role == "staff":
            for name, path in OWNERS_ONLY:
                response = page.goto(live_server.url + path.format(guest=stay.guest.public_id))
                assert response is not None and response.status == 403, path
                assert page.get_by_role("heading", name="Owners only").is_visible(), path
                assert fits_the_screen(page), f"owners only ({name}) scrolls sideways at {size}"
            page.screenshot(
                path=f"test-artifacts/screenshots/every-page-staff-{size}-owners-only.png",
                full_page=True,
            )
    finally:
        context.close()
