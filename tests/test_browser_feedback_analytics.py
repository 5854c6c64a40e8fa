"""/feedback/ and the dashboard's feedback card in Chromium, in English and Indonesian, at desktop
and phone size, on a hotel with a few months of answers and journey messages: the page says what
it shows, fits the screen without sideways scrolling, and the period tabs work. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog, Trigger
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
COMMENTS = [
    "Lovely breakfast, quiet room.",
    "The AC was loud at night, otherwise great.",
    "Staf sangat ramah, kamar bersih.",
    "Check-in took 40 minutes.",
    "",
]
TOPICS = ["room", "cleanliness", "staff", "breakfast"]


def seed_months(hotel: factories.Hotel) -> None:
    pick = random.Random(3)
    now = timezone.now()
    with acting_for_tenant(hotel.tenant.id):
        for n in range(60):
            ago = dt.timedelta(days=pick.randint(0, 120), hours=pick.randint(0, 23))
            guest = Guest.objects.create(
                tenant=hotel.tenant,
                first_name=pick.choice(["Siti", "Budi", "Emma", "Kenji", "Ana"]),
                last_name=f"Tamu {n}",
            )
            answered = pick.random() < 0.7
            rating = pick.choice([5, 5, 4, 4, 4, 3, 2])
            stay = Reservation.objects.create(
                tenant=hotel.tenant,
                guest=guest,
                pms_reservation_id=f"B{n}",
                status="checked-out",
                check_in=(now - ago).date() - dt.timedelta(days=4),
                check_out=(now - ago).date() - dt.timedelta(days=1),
                feedback_status="completed" if answered else "pending",
                feedback_rating=rating if answered else None,
                feedback_topics=(
                    {t: max(1, min(5, rating + pick.randint(-1, 1))) for t in TOPICS[: n % 5]}
                    if answered
                    else {}
                ),
                feedback_comments=pick.choice(COMMENTS) if answered else "",
                feedback_source=pick.choice(["form", "form", "chat"]) if answered else "",
                feedback_submitted_at=now - ago if answered else None,
            )
            chat = f"62811{n:07d}@c.us"
            for index, touchpoint in enumerate(Trigger.values):
                at = now - ago - dt.timedelta(days=6 - index)
                status = pick.choice(["read", "read", "delivered", "sent", "failed", "queued"])
                log(hotel, stay, chat, Direction.OUTBOUND, touchpoint, status, at)
                if status == "read" and pick.random() < 0.4:
                    asked = at + dt.timedelta(minutes=pick.randint(5, 300))
                    log(hotel, stay, chat, Direction.INBOUND, "", "received", asked)
                    answerer = pick.choice(["agent", "agent", "manual", "phone", None])
                    if answerer:
                        wait = dt.timedelta(seconds=pick.randint(5, 40 * 60))
                        log(hotel, stay, chat, Direction.OUTBOUND, answerer, "read", asked + wait)


def log(hotel, stay, chat, direction, origin, status, at) -> None:
    row = MessageLog.objects.create(
        tenant=hotel.tenant,
        direction=direction,
        guest=stay.guest,
        reservation=stay,
        origin=origin,
        body="…",
        chat_id=chat,
        status=status,
        sent_at=at if status in ("sent", "delivered", "read", "failed") else None,
    )
    MessageLog.objects.filter(pk=row.pk).update(created_at=at)


def fits_the_screen(page) -> bool:
    return page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_feedback_page_reads_well_in_both_languages_on_desktop_and_phone(
    live_server, browser, language: str, size: str
) -> None:
    hotel = factories.make_hotel("Hotel Nusantara Beach Resort & Spa Ubud")
    seed_months(hotel)
    hotel.staff.ui_language = language
    hotel.staff.save(update_fields=["ui_language"])
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies(session_cookie(live_server.url, hotel.staff))
    page = context.new_page()
    page.set_default_timeout(10_000)
    heading = {"en": "Journey messages: from sent to answered", "id": "Pesan perjalanan tamu"}
    ninety = {"en": "Last 90 days", "id": "90 hari terakhir"}
    try:
        page.goto(f"{live_server.url}/feedback/")
        assert page.get_by_role("heading", name=heading[language]).is_visible()
        assert fits_the_screen(page), f"/feedback/ scrolls sideways at {size} in {language}"
        page.screenshot(
            path=f"test-artifacts/screenshots/feedback-analytics-{language}-{size}.png",
            full_page=True,
        )
        page.get_by_role("link", name=ninety[language]).click()
        page.wait_for_url("**/feedback/?days=90")
        assert page.get_by_role("link", name=ninety[language]).get_attribute("aria-current")
        assert fits_the_screen(page)
        page.screenshot(
            path=f"test-artifacts/screenshots/feedback-analytics-90-{language}-{size}.png",
            full_page=True,
        )
        page.goto(f"{live_server.url}/")
        card = page.locator("[data-card=feedback]")
        assert card.is_visible() and fits_the_screen(page)
        card.screenshot(
            path=f"test-artifacts/screenshots/dashboard-feedback-card-{language}-{size}.png"
        )
        card.get_by_role("link").click()
        page.wait_for_url("**/feedback/")
    finally:
        context.close()
