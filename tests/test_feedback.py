"""Post-stay feedback: the day after checkout the guest gets a link to a short form in their
language; staff see the answers and the average."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from automation import queue, scheduler
from hotel.models import Guest, Reservation
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from tests import factories

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def departed(hotel_a: factories.Hotel, settings) -> Reservation:
    settings.WAHA_BASE_URL = None
    settings.APP_URL = "http://testserver"
    hotel_a.tenant.time_zone = "Asia/Jakarta"
    hotel_a.tenant.save(update_fields=["time_zone"])
    seed_default_templates(hotel_a.tenant)
    guest = Guest.objects.create(
        tenant=hotel_a.tenant,
        pms_guest_id="gF",
        first_name="Siti",
        phone_e164="+6281234560001",
        language="id",
    )
    return Reservation.objects.create(
        tenant=hotel_a.tenant,
        guest=guest,
        pms_reservation_id="F1",
        status="checked-out",
        check_in=dt.date(2027, 3, 24),
        check_out=dt.date(2027, 3, 27),
    )


def link_in(message: MessageLog) -> str:
    return re.search(r"http://testserver(/feedback/[^/\s]+/)", message.body).group(1)


def send_post_stay(departed: Reservation) -> str:
    with time_machine.travel(dt.datetime(2027, 3, 27, 12, 0, tzinfo=UTC), tick=False) as traveller:
        assert scheduler.tick() == 1
        assert queue.run_once() == 0, "H+1, not the same day"
        traveller.move_to(dt.datetime(2027, 3, 28, 3, 0, 1, tzinfo=UTC))  # 10:00 in Jakarta
        assert queue.run_once() == 1
    message = MessageLog.objects.get(reservation=departed, origin="post-stay")
    assert message.body.startswith("Terima kasih telah menginap")
    return link_in(message)


def test_the_day_after_checkout_the_guest_gets_a_working_link(departed: Reservation) -> None:
    link = send_post_stay(departed)
    departed.refresh_from_db()
    assert departed.feedback_status == "pending"
    assert link.split("/")[2] not in (departed.feedback_token_hash or ""), "only the hash is stored"
    page = Client().get(link)
    assert page.status_code == 200 and "Bagaimana masa menginap Anda?" in page.content.decode()


def test_an_answer_completes_the_feedback_and_can_be_edited_for_a_day(
    departed: Reservation,
) -> None:
    link = send_post_stay(departed)
    guest = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        # Sent: on to the thank-you page (tests/test_feedback_form.py).
        assert guest.post(link, {"rating": "4", "comments": "Kamar bersih"}).status_code == 302
        traveller.shift(dt.timedelta(hours=5))
        assert (
            guest.post(link, {"rating": "5", "comments": "Kamar bersih, staf ramah"}).status_code
            == 302
        )
        traveller.shift(dt.timedelta(days=1))
        late = guest.post(link, {"rating": "1", "comments": "changed my mind"})
    departed.refresh_from_db()
    assert (departed.feedback_status, departed.feedback_rating) == ("completed", 5)
    assert departed.feedback_comments == "Kamar bersih, staf ramah"
    assert late.status_code == 410


def test_a_wrong_or_other_token_is_refused(departed: Reservation, hotel_b) -> None:
    assert Client().get("/feedback/not-a-real-token/").status_code == 404
    link = send_post_stay(departed)
    assert (
        Client()
        .post(link.replace(link.split("/")[2], link.split("/")[2][:-2] + "xx"), {"rating": "1"})
        .status_code
        == 404
    )


def test_a_bad_rating_is_explained_and_saves_nothing(departed: Reservation) -> None:
    link = send_post_stay(departed)
    response = Client().post(link, {"rating": "9"})
    assert response.status_code == 400 and "field-error" in response.content.decode()
    departed.refresh_from_db()
    assert departed.feedback_status == "pending"


@pytest.mark.parametrize("comments", ["Kamar\x00bersih", "x" * 4001], ids=["nul", "too-long"])
def test_a_comment_that_cannot_be_kept_is_explained_in_the_guests_language(
    departed: Reservation, comments: str
) -> None:
    link = send_post_stay(departed)
    response = Client().post(link, {"rating": "4", "comments": comments})
    assert response.status_code == 400
    assert "Mohon persingkat komentar Anda" in response.content.decode()
    departed.refresh_from_db()
    assert (departed.feedback_status, departed.feedback_rating) == ("pending", None)


def test_staff_see_the_answers_and_the_average(departed: Reservation, hotel_a) -> None:
    link = send_post_stay(departed)
    Client().post(link, {"rating": "4", "comments": "Great pool"})
    staff = Client()
    staff.force_login(hotel_a.staff)
    listing = staff.get("/feedback/").content.decode()
    assert "Average 4.0 / 5 from 1 guest" in listing and "Great pool" in listing
    assert "Great pool" in staff.get(f"/reservations/{departed.public_id}/").content.decode()


def test_other_hotels_do_not_see_the_answers(departed: Reservation, hotel_b) -> None:
    link = send_post_stay(departed)
    Client().post(link, {"rating": "2", "comments": "Noisy"})
    other = Client()
    other.force_login(hotel_b.owner)
    assert "Noisy" not in other.get("/feedback/").content.decode()
