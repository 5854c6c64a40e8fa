"""In Chromium, on a phone: a guest answers the feedback form in their language (Indonesian,
Japanese), choosing stars by touch and by keyboard, sends it, and finds the hotel's review links
on the thank-you page. The same form works without JavaScript (plain radios), and on a desktop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from feedback import services
from feedback.models import FeedbackSettings
from hotel import feedback
from hotel.models import FeedbackSource, Reservation
from messaging.defaults import seed_default_templates
from messaging.models import MessageTemplate, MessageTemplateVariant, Trigger
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import PHONE, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOGLE = "https://g.page/r/hotel-nusantara/review"
TRIPADVISOR = "https://www.tripadvisor.com/UserReviewEdit-g297697-d1"
BOOKING = "https://www.booking.com/hotel/id/nusantara.html"


@pytest.fixture
def hotel(db: None, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # the sandbox: the staff's banner must not reach guests
    hotel = factories.make_hotel("Hotel Nusantara")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        template = MessageTemplate.objects.get(tenant=hotel.tenant, trigger=Trigger.POST_STAY)
        MessageTemplateVariant.objects.create(
            tenant=hotel.tenant,
            template=template,
            language_code="ja",
            content="ご宿泊ありがとうございました。{{feedbackLink}}",
        )
        FeedbackSettings.objects.create(
            tenant=hotel.tenant,
            google_url=GOOGLE,
            tripadvisor_url=TRIPADVISOR,
            booking_url=BOOKING,
            ask_room=True,
            ask_breakfast=True,
        )
    return hotel


def link_for(reservation: Reservation, base_url: str, settings: Any) -> str:
    settings.APP_URL = base_url
    with acting_for_tenant(reservation.tenant_id):
        return services.issue_link(reservation)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def stars_on(page: Any, group: str) -> int:
    return page.locator(f'[data-star-rating]:has(input[name="{group}"]) .star-option.is-on').count()


def assert_no_staff_chrome(page: Any) -> None:
    assert page.locator(".sandbox-banner").count() == 0
    assert page.locator("#sidebar").count() == 0
    assert "Sandbox" not in page.content()


def assert_review_links(page: Any) -> None:
    links = page.locator("[data-review-site]")
    assert links.count() == 3
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [GOOGLE, TRIPADVISOR, BOOKING]
    for i in range(3):
        assert links.nth(i).is_visible()


def test_an_indonesian_guest_rates_by_touch_on_a_phone(
    live_server: Any, phone: Any, hotel: factories.Hotel, settings: Any, screenshot: Callable
) -> None:
    phone.goto(link_for(hotel.reservation, live_server.url, settings))
    phone.get_by_role("heading", name="Bagaimana masa menginap Anda?").wait_for()
    assert phone.locator("html").get_attribute("lang") == "id"
    assert_no_staff_chrome(phone)
    assert fits_the_screen(phone)
    caption = phone.locator("[data-star-caption]")
    assert caption.inner_text() == "Pilih 1 sampai 5 bintang"
    screenshot("1-form-phone", of=phone)

    overall = phone.locator('[data-star-rating]:has(input[name="rating"])')
    overall.locator('[data-star="2"]').tap()
    assert stars_on(phone, "rating") == 2 and caption.inner_text() == "Cukup"
    overall.locator('[data-star="5"]').tap()  # a change of mind
    assert stars_on(phone, "rating") == 5 and caption.inner_text() == "Luar biasa"
    assert phone.locator("#rating-5").is_checked()
    room = phone.locator('[data-star-rating]:has(input[name="topic_room"])')
    room.locator('[data-star="4"]').tap()
    assert stars_on(phone, "topic_room") == 4
    # "No answer" appears once a topic has stars, and takes them back.
    breakfast = phone.locator('[data-star-rating]:has(input[name="topic_breakfast"])')
    assert not breakfast.get_by_text("Tidak dijawab").is_visible()
    breakfast.locator('[data-star="1"]').tap()
    breakfast.get_by_text("Tidak dijawab").tap()
    assert stars_on(phone, "topic_breakfast") == 0
    phone.get_by_label("Ada yang perlu kami ketahui?").fill("Kolam renangnya bagus")
    screenshot("2-chosen-phone", of=phone)

    phone.get_by_role("button", name="Kirim").tap()
    phone.get_by_role("heading", name="Terima kasih, Ana!").wait_for()
    assert_no_staff_chrome(phone)
    assert_review_links(phone)
    assert phone.get_by_role("link", name="Tulis ulasan di Google").is_visible()
    assert phone.get_by_role("link", name="Ubah jawaban").is_visible()
    screenshot("3-thanks-phone", of=phone)
    thanks_url = phone.url

    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_rating == 5

    # Changing the answer: the form comes back with it, stars drawn.
    phone.goto(thanks_url)
    phone.get_by_role("link", name="Ubah jawaban").tap()
    phone.get_by_text("Anda sudah menjawab").wait_for()
    assert stars_on(phone, "rating") == 5 and stars_on(phone, "topic_room") == 4
    assert phone.get_by_role("button", name="Perbarui jawaban").is_visible()
    screenshot("4-change-phone", of=phone)

    # A link cut short in the chat: the guest's 404 page, in the phone's language.
    response = phone.goto(f"{live_server.url}/feedback/abc123/")
    assert response is not None and response.status == 404
    phone.get_by_role("heading", name="Tautan tidak ditemukan").wait_for()
    assert_no_staff_chrome(phone)
    screenshot("5-not-found-phone", of=phone)
    assert hotel.reservation.feedback_topics == {"room": 4}
    assert hotel.reservation.feedback_comments == "Kolam renangnya bagus"


def test_a_japanese_guest_rates_by_keyboard_and_gets_the_review_links(
    live_server: Any, phone: Any, hotel: factories.Hotel, settings: Any, screenshot: Callable
) -> None:
    with acting_for_tenant(hotel.tenant.id):
        hotel.guest.language = "ja"
        hotel.guest.save(update_fields=["language"])
    phone.goto(link_for(hotel.reservation, live_server.url, settings))
    phone.get_by_role("heading", name="ご滞在はいかがでしたか？").wait_for()
    assert phone.locator("html").get_attribute("lang") == "ja"

    phone.keyboard.press("Tab")  # into the star rating: a radio group
    focused = phone.locator("#rating-1")
    assert focused.evaluate("node => node === document.activeElement")
    ring = phone.locator('label[for="rating-1"]').evaluate(
        "label => getComputedStyle(label).outlineStyle"
    )
    assert ring == "solid", "the focused star shows a ring"
    for _ in range(3):
        phone.keyboard.press("ArrowRight")
    assert phone.locator("#rating-4").is_checked()
    assert stars_on(phone, "rating") == 4
    assert phone.locator("[data-star-caption]").inner_text() == "満足"
    phone.keyboard.press("ArrowLeft")
    assert phone.locator("#rating-3").is_checked() and stars_on(phone, "rating") == 3
    screenshot("1-keyboard-phone", of=phone)

    phone.keyboard.press("Tab")  # the room: nobody rated it yet
    row_ring = phone.locator('[data-star-rating]:has(input[name="topic_room"]) .star-row')
    assert row_ring.evaluate("row => getComputedStyle(row).outlineStyle") == "solid"
    phone.keyboard.press("ArrowRight")
    phone.keyboard.press("ArrowRight")
    assert phone.locator("#topic_room-2").is_checked() and stars_on(phone, "topic_room") == 2
    phone.keyboard.press("Tab")  # breakfast: left unanswered
    phone.keyboard.press("Tab")
    phone.keyboard.type("エアコンの音が大きかったです")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")  # 送信する

    phone.get_by_role("heading", name="Ana様、ありがとうございました！").wait_for()
    assert_review_links(phone)
    assert fits_the_screen(phone)
    assert phone.get_by_role("link", name="Googleで口コミを書く").is_visible()
    screenshot("2-thanks-phone", of=phone)
    hotel.reservation.refresh_from_db()
    assert (hotel.reservation.feedback_rating, hotel.reservation.feedback_topics) == (
        3,
        {"room": 2},
    )
    assert hotel.reservation.feedback_comments == "エアコンの音が大きかったです"


def test_a_low_rating_on_a_desktop_gets_the_same_links(
    live_server: Any, page: Any, hotel: factories.Hotel, settings: Any, screenshot: Callable
) -> None:
    page.goto(link_for(hotel.reservation, live_server.url, settings))
    screenshot("1-form-desktop")
    page.locator('[data-star-rating]:has(input[name="rating"]) [data-star="1"]').click()
    page.get_by_role("button", name="Kirim").click()
    page.get_by_role("heading", name="Terima kasih, Ana!").wait_for()
    assert_review_links(page)
    assert page.get_by_text("Mohon maaf").is_visible()
    screenshot("2-thanks-desktop")


def test_without_javascript_the_form_is_plain_radios_that_work(
    live_server: Any, browser: Any, hotel: factories.Hotel, settings: Any, screenshot: Callable
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(link_for(hotel.reservation, live_server.url, settings))
        overall = page.get_by_role("group", name="Penilaian Anda")
        overall.get_by_label("4 dari 5 bintang · Sangat baik").check()
        screenshot("no-javascript-phone", of=page)
        page.get_by_role("button", name="Kirim").click()
        page.get_by_role("heading", name="Terima kasih, Ana!").wait_for()
        assert_review_links(page)
    finally:
        context.close()
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_rating == 4


def test_the_owner_sets_the_links_and_staff_see_a_low_rating(
    live_server: Any,
    page: Any,
    browser: Any,
    hotel: factories.Hotel,
    settings: Any,
    screenshot: Callable,
) -> None:
    page.context.add_cookies(session_cookie(live_server.url, hotel.owner))
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Feedback form").click()
    page.get_by_role("heading", name="Review sites").wait_for()
    page.get_by_label("Other site's name").fill("Agoda")
    page.get_by_label("Other site's review link").fill("http://www.agoda.com/nusantara")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Use the site's https:// address.").wait_for()
    screenshot("1-settings-refused")
    page.get_by_label("Other site's review link").fill("https://www.agoda.com/nusantara")
    page.get_by_label("Staff").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Feedback settings saved.").wait_for()
    screenshot("2-settings-saved")

    with acting_for_tenant(hotel.tenant.id):
        feedback.record(hotel.reservation, 2, "Kamar mandi kotor", source=FeedbackSource.FORM)
    context = browser.new_context(viewport=PHONE)
    staff = context.new_page()
    try:
        context.add_cookies(session_cookie(live_server.url, hotel.staff))
        staff.goto(f"{live_server.url}/")
        card = staff.locator('[data-card="low-ratings"]')
        card.get_by_text("Kamar mandi kotor").wait_for()
        card.scroll_into_view_if_needed()
        shot = screenshot("3-dashboard-low-rating-phone", of=staff)
        card.screenshot(path=str(shot.with_name(shot.stem + "-card.png")))
        card.get_by_role("link", name="Open the conversation").click()
        staff.locator(".escalation-reason", has_text="2/5").first.wait_for()
        screenshot("4-inbox-escalated-phone", of=staff)
    finally:
        context.close()
