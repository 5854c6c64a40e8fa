"""The guest's feedback form and what follows it: a thank-you page that offers the hotel's review
links after EVERY rating (no review gating), a low rating (2 or less) escalating the guest's
conversation and showing on the dashboard, per-topic stars, the guest's language, and guest
pages for unknown (404) and closed or expired (410) links without anything of the staff's
screens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conversations.models import Conversation, ConversationNote
from feedback import services
from feedback.models import FeedbackSettings
from hotel.models import FeedbackSource, Reservation
from messaging.defaults import seed_default_templates
from messaging.models import MessageTemplate, MessageTemplateVariant, Trigger
from tenancy.db import acting_for_tenant
from tenancy.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

GOOGLE = "https://g.page/r/hotel-alpha/review"
TRIPADVISOR = "https://www.tripadvisor.com/UserReviewEdit-g1-d2"
AGODA = "https://www.agoda.com/hotel-alpha/reviews"


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # the sandbox: staff see its banner, guests must not
    settings.APP_URL = "http://testserver"
    with acting_for_tenant(hotel_a.tenant.id, role="owner"):
        seed_default_templates(hotel_a.tenant)
        FeedbackSettings.objects.create(
            tenant=hotel_a.tenant,
            google_url=GOOGLE,
            tripadvisor_url=TRIPADVISOR,
            other_label="Agoda",
            other_url=AGODA,
            ask_room=True,
            ask_cleanliness=True,
        )
    return hotel_a


def link_for(reservation: Reservation) -> str:
    with acting_for_tenant(reservation.tenant_id):
        return services.issue_link(reservation).removeprefix("http://testserver")


def assert_guest_page(html: str) -> None:
    """A guest's page: the hotel's, nothing of Innbox's staff screens."""
    assert "sandbox-banner" not in html and "Sandbox" not in html
    assert 'id="sidebar"' not in html and "Log out" not in html
    assert "Skip to main content" not in html


def escalated(reservation: Reservation) -> Conversation | None:
    return Conversation.objects.filter(
        tenant=reservation.tenant, guest=reservation.guest, escalated_at__isnull=False
    ).first()


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_every_rating_is_offered_the_review_links_and_a_low_one_alerts_staff(
    hotel: factories.Hotel, rating: int
) -> None:
    link = link_for(hotel.reservation)
    guest = Client()
    sent = guest.post(link, {"rating": str(rating), "comments": "The AC was loud"})
    assert sent.status_code == 302 and sent["Location"] == f"{link}thanks/"

    thanks = guest.get(sent["Location"])
    html = thanks.content.decode()
    assert thanks.status_code == 200
    assert_guest_page(html)
    assert "Terima kasih, Ana!" in html  # the guest's language (Indonesian)
    # Every site the hotel set, the same way whatever the rating: no gating.
    assert f'href="{GOOGLE}"' in html and "Tulis ulasan di Google" in html
    assert f'href="{TRIPADVISOR}"' in html and "Tulis ulasan di Tripadvisor" in html
    assert f'href="{AGODA}"' in html and "Tulis ulasan di Agoda" in html
    assert f'data-given-rating="{rating}"' in html
    assert "Ubah jawaban" in html, "the answer can be changed within the edit window"

    conversation = escalated(hotel.reservation)
    staff = Client()
    staff.force_login(hotel.staff)
    dashboard = staff.get("/").content.decode()
    if rating <= 2:
        assert conversation is not None, "a low rating escalates the guest's conversation"
        assert f"{rating}/5" in conversation.escalation_reason
        assert "The AC was loud" in conversation.escalation_reason
        assert ConversationNote.objects.filter(
            conversation=conversation, body="Low feedback rating: %(reason)s"
        ).exists()
        inbox = staff.get("/inbox/?tab=escalated").content.decode()
        assert hotel.guest.full_name in inbox
        assert 'data-card="low-ratings"' in dashboard and "The AC was loud" in dashboard
        assert "Mohon maaf" in html  # the guest hears the team was told
    else:
        assert conversation is None, "ratings 3 to 5 alert nobody"
        assert 'data-card="low-ratings"' not in dashboard
        assert "Mohon maaf" not in html


def test_a_low_rating_from_the_chat_alerts_staff_too(hotel: factories.Hotel) -> None:
    from hotel import feedback

    with acting_for_tenant(hotel.tenant.id):
        feedback.record(hotel.reservation, 1, "Dirty towels", source=FeedbackSource.CHAT)
    conversation = escalated(hotel.reservation)
    assert conversation is not None and "1/5" in conversation.escalation_reason


def test_a_guest_without_a_number_still_shows_on_the_dashboard(hotel: factories.Hotel) -> None:
    with acting_for_tenant(hotel.tenant.id):
        hotel.guest.phone_e164 = ""
        hotel.guest.save(update_fields=["phone_e164"])
    Client().post(link_for(hotel.reservation), {"rating": "1", "comments": "Never again"})
    assert not Conversation.objects.filter(tenant=hotel.tenant).exists()
    staff = Client()
    staff.force_login(hotel.staff)
    assert "Never again" in staff.get("/").content.decode()


def test_the_form_asks_the_hotels_topics_and_saves_the_answered_ones(
    hotel: factories.Hotel,
) -> None:
    link = link_for(hotel.reservation)
    form = Client().get(link).content.decode()
    assert "Kamar" in form and "Kebersihan" in form  # the two topics the hotel chose
    assert 'name="topic_staff"' not in form and 'name="topic_breakfast"' not in form
    response = Client().post(
        link,
        {
            "rating": "4",
            "topic_room": "5",
            "topic_cleanliness": "",  # left unanswered
            "topic_staff": "1",  # not asked by this hotel: ignored
            "comments": "",
        },
    )
    assert response.status_code == 302
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_topics == {"room": 5}
    assert hotel.reservation.feedback_rating == 4
    assert hotel.reservation.feedback_source == "form"
    again = Client().get(link).content.decode()
    assert 'id="topic_room-5" name="topic_room" value="5" checked' in again, "shown to change"


@pytest.mark.parametrize(
    "data",
    [
        {"comments": "no rating"},
        {"rating": "9"},
        {"rating": "0"},
        {"rating": "four"},
        {"rating": "4", "topic_room": "7"},
        {"rating": "4", "comments": "x" * 4001},
        {"rating": "4", "comments": "bad\x00byte"},
    ],
    ids=["missing", "nine", "zero", "word", "topic-out-of-range", "too-long", "nul"],
)
def test_a_bad_answer_is_refused_and_nothing_is_saved(
    hotel: factories.Hotel, data: dict[str, str]
) -> None:
    link = link_for(hotel.reservation)
    response = Client().post(link, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "field-error" in html
    assert_guest_page(html)
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_status == "pending"
    assert (hotel.reservation.feedback_rating, hotel.reservation.feedback_topics) == (None, {})
    assert escalated(hotel.reservation) is None


def test_an_unknown_link_is_a_guest_404_page(hotel: factories.Hotel) -> None:
    response = Client().get("/feedback/not-a-real-token/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.8")
    html = response.content.decode()
    assert response.status_code == 404
    assert "リンクが見つかりません" in html and 'lang="ja"' in html
    assert_guest_page(html)
    assert Client().get("/feedback/not-a-real-token/thanks/").status_code == 404
    english = Client().get("/feedback/x/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert "Link not found" in english.content.decode()


def test_an_expired_link_is_a_410_page_in_the_guests_language(hotel: factories.Hotel) -> None:
    reservation = hotel.reservation
    with acting_for_tenant(hotel.tenant.id):
        Reservation.objects.filter(pk=reservation.pk).update(
            check_in=timezone.localdate() - dt.timedelta(days=45),
            check_out=timezone.localdate() - dt.timedelta(days=40),
        )
    link = link_for(reservation)
    for response in (Client().get(link), Client().post(link, {"rating": "5"})):
        html = response.content.decode()
        assert response.status_code == 410
        assert "Tautan ini sudah tidak berlaku" in html and 'lang="id"' in html
        assert_guest_page(html)
        assert GOOGLE not in html  # nothing answered: no thank-you
    reservation.refresh_from_db()
    assert reservation.feedback_rating is None


def test_after_the_edit_window_the_link_is_closed_but_still_offers_the_reviews(
    hotel: factories.Hotel,
) -> None:
    link = link_for(hotel.reservation)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        Client().post(link, {"rating": "2"})
        traveller.shift(services.EDIT_WINDOW + dt.timedelta(minutes=1))
        closed = Client().get(link)
        late = Client().post(link, {"rating": "5"})
        thanks = Client().get(f"{link}thanks/").content.decode()
    assert closed.status_code == 410 and late.status_code == 410
    html = closed.content.decode()
    assert "Masukan Anda sudah tersimpan" in html and f'href="{GOOGLE}"' in html
    assert_guest_page(html)
    assert "Ubah jawaban" not in thanks and f'href="{GOOGLE}"' in thanks
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_rating == 2


def test_the_thank_you_page_before_an_answer_leads_to_the_form(hotel: factories.Hotel) -> None:
    link = link_for(hotel.reservation)
    response = Client().get(f"{link}thanks/")
    assert response.status_code == 302 and response["Location"] == link


def _post_stay_variant(hotel: factories.Hotel, language: str, content: str) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        template = MessageTemplate.objects.get(tenant=hotel.tenant, trigger=Trigger.POST_STAY)
        MessageTemplateVariant.objects.create(
            tenant=hotel.tenant, template=template, language_code=language, content=content
        )


def test_the_form_speaks_the_language_of_the_guests_post_stay_message(
    hotel: factories.Hotel,
) -> None:
    guest = hotel.guest
    with acting_for_tenant(hotel.tenant.id):
        guest.language = "ja-JP"
        guest.save(update_fields=["language"])
    link = link_for(hotel.reservation)
    # No Japanese post-stay template: the message goes in the hotel's default (English here),
    # and so does the form.
    assert "How was your stay?" in Client().get(link).content.decode()
    _post_stay_variant(hotel, "ja", "ご宿泊ありがとうございました {{feedbackLink}}")
    html = Client().get(link).content.decode()
    assert "ご滞在はいかがでしたか？" in html and 'lang="ja"' in html
    assert "5段階中4つ星" in html and "大変満足" in html and "清潔さ" in html


def test_a_language_without_form_texts_falls_back_like_messages(hotel: factories.Hotel) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        hotel.guest.language = "fr"
        hotel.guest.save(update_fields=["language"])
        hotel.tenant.default_language = "id"
        hotel.tenant.save(update_fields=["default_language"])
    _post_stay_variant(hotel, "fr", "Merci {{feedbackLink}}")
    html = Client().get(link_for(hotel.reservation)).content.decode()
    # The message is French; the form has no French, so the hotel's default language.
    assert "Bagaimana masa menginap Anda?" in html and 'lang="id"' in html


# --- the settings page ------------------------------------------------------------------------


def test_owners_set_the_review_links_and_topics_and_it_is_audited(
    hotel_a: factories.Hotel,
) -> None:
    owner = Client()
    owner.force_login(hotel_a.owner)
    page = owner.get("/settings/feedback/")
    assert page.status_code == 200 and "Review sites" in page.content.decode()
    assert 'href="/settings/feedback/"' in page.content.decode(), "in the settings menu"
    saved = owner.post(
        "/settings/feedback/",
        {
            "google_url": GOOGLE,
            "booking_url": "https://www.booking.com/hotel/id/alpha.html",
            "other_label": "",
            "other_url": "",
            "ask_breakfast": "on",
        },
    )
    assert saved.status_code == 302
    settings = FeedbackSettings.objects.get(tenant=hotel_a.tenant)
    assert settings.google_url == GOOGLE and settings.topics() == ["breakfast"]
    assert [link.label for link in settings.review_links()] == ["Google", "Booking.com"]
    entry = AuditEntry.objects.filter(
        tenant=hotel_a.tenant, event="feedback.settings_changed"
    ).get()
    assert entry.actor == hotel_a.owner
    assert "Changed the feedback form" in owner.get("/settings/audit/").content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"google_url": "http://g.page/r/x"}, "Use the site&#x27;s https:// address."),
        ({"google_url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"other_url": AGODA}, "Name the site"),
        ({"other_label": "Agoda"}, "Add the site&#x27;s review link"),
    ],
    ids=["http", "javascript", "url-without-name", "name-without-url"],
)
def test_a_bad_link_is_refused_and_nothing_saved(
    hotel_a: factories.Hotel, data: dict[str, str], error: str
) -> None:
    owner = Client()
    owner.force_login(hotel_a.owner)
    response = owner.post("/settings/feedback/", data)
    assert response.status_code == 400 and error in response.content.decode()
    assert not FeedbackSettings.objects.filter(tenant=hotel_a.tenant).exists()


def test_staff_may_not_change_the_feedback_settings(hotel_a: factories.Hotel) -> None:
    staff = Client()
    staff.force_login(hotel_a.staff)
    assert staff.post("/settings/feedback/", {"google_url": GOOGLE}).status_code == 403
    assert 'href="/settings/feedback/"' not in staff.get("/").content.decode()
    assert not FeedbackSettings.objects.filter(tenant=hotel_a.tenant).exists()


def test_a_hotel_without_settings_thanks_without_review_links(hotel_a: factories.Hotel) -> None:
    link = link_for(hotel_a.reservation)
    response = Client().post(link, {"rating": "5"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "Terima kasih, Ana!" in html
    assert "data-review-links" not in html
