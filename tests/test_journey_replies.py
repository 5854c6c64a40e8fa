"""The concierge along the guest journey, end to end through the webhook, the scheduler and the
worker: the guest's reply to the mid-stay check (a problem goes to staff before checkout, praise
is thanked), and the post-stay follow-up (written once, 24 hours after the thank-you, while the
feedback form waits; the guest's answer becomes their rating). Embedded engine and LLM mode
(a scripted model on the fake OpenAI-compatible server)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from agent import follow_up
from agent.demo import seed_menu_and_knowledge
from agent.engine.journey import read_rating
from agent.models import FeedbackFollowUp, FollowUpOutcome, HousekeepingRequest, RoomServiceOrder
from automation import queue, scheduler
from automation.models import AutomationJob, JobKind
from conversations import services
from conversations.models import Conversation
from feedback import services as feedback_services
from feedback.models import FeedbackSettings
from hotel.models import FeedbackSource, FeedbackStatus, ReservationStatus
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.fake_openai import FakeOpenAI, text, tool_call
from tests.helpers import guest_writes
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    with acting_for_tenant(hotel_a.tenant.id, role="owner"):
        seed_menu_and_knowledge(hotel_a.tenant)
        WahaConfiguration.objects.create(
            tenant=hotel_a.tenant,
            session_name="default",
            status=SessionStatus.WORKING,
            status_changed_at=timezone.now() - dt.timedelta(days=30),
        )
    return hotel_a


def chat(hotel: factories.Hotel) -> str:
    return hotel.guest.phone_e164.lstrip("+") + "@c.us"


def run_worker() -> None:
    while queue.run_once():
        pass


def turn(chat_id: str, words: str) -> str:
    """The guest writes; the worker answers after the burst window. Returns the answer."""
    assert guest_writes(Client(), chat_id, words).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        run_worker()
    answers = MessageLog.objects.filter(direction=Direction.OUTBOUND, origin=MessageOrigin.AGENT)
    return answers.latest("pk").body if answers.exists() else ""


def conversation(hotel: factories.Hotel) -> Conversation:
    return Conversation.objects.get(chat_id=chat(hotel))


def hotel_message(
    hotel: factories.Hotel, origin: str, sent: dt.datetime, body: str = "Hello"
) -> MessageLog:
    """A message of the hotel's journey that went to the guest's chat at `sent`."""
    return MessageLog.objects.create(
        tenant=hotel.tenant,
        direction=Direction.OUTBOUND,
        guest=hotel.guest,
        reservation=hotel.reservation,
        origin=origin,
        body=body,
        chat_id=chat(hotel),
        status=MessageStatus.DELIVERED,
        sent_at=sent,
    )


# --- the mid-stay check --------------------------------------------------------------------------


@pytest.fixture
def checked(hotel: factories.Hotel) -> factories.Hotel:
    """The guest in room 101 got the mid-stay check two hours ago."""
    hotel.reservation.status = ReservationStatus.ON_STAY
    hotel.reservation.save(update_fields=["status"])
    hotel_message(
        hotel, MessageOrigin.MID_STAY, timezone.now() - dt.timedelta(hours=2), "How is everything?"
    )
    return hotel


def test_a_broken_ac_after_the_mid_stay_check_is_a_request_and_goes_to_staff(checked) -> None:
    answer = turn(chat(checked), "AC tidak dingin")

    [request] = HousekeepingRequest.objects.all()
    assert (request.request_type, request.room_number) == ("maintenance", "101")
    handed = conversation(checked)
    assert handed.escalated_at is not None, "staff must fix it before checkout"
    assert "AC tidak dingin" in handed.escalation_reason
    assert "check out" in answer, answer  # in Indonesian: "... sebelum Anda check out"
    assert "kamar 101" in answer


def test_a_smoky_room_after_the_mid_stay_check_goes_to_staff_with_its_reason(checked) -> None:
    answer = turn(chat(checked), "the room smells of smoke")

    handed = conversation(checked)
    assert handed.escalated_at is not None
    assert "Mid-stay check" in handed.escalation_reason
    assert "the room smells of smoke" in handed.escalation_reason
    assert "before you check out" in answer


@pytest.mark.parametrize(
    ("words", "thanks"),
    [
        ("Everything is great, thanks!", "That is wonderful to hear"),
        ("semuanya bagus, tidak ada masalah", "Senang sekali mendengarnya"),
        ("👍", "Senang sekali mendengarnya"),  # no words: the guest's own language (id)
    ],
)
def test_praise_after_the_mid_stay_check_is_thanked_and_nobody_is_called(
    checked, words: str, thanks: str
) -> None:
    answer = turn(chat(checked), words)

    assert thanks in answer
    assert conversation(checked).escalated_at is None
    assert not HousekeepingRequest.objects.exists()


def test_a_wish_after_the_mid_stay_check_is_a_request_and_nobody_is_called(checked) -> None:
    answer = turn(chat(checked), "All good, could we get two more towels please?")
    [request] = HousekeepingRequest.objects.all()
    assert request.request_type == "towels" and "101" in answer
    assert conversation(checked).escalated_at is None


def test_a_problem_later_that_day_is_still_for_staff_before_checkout(checked) -> None:
    assert "wonderful to hear" in turn(chat(checked), "Everything is great, thanks!")
    turn(chat(checked), "Actually the shower is leaking now")
    handed = conversation(checked)
    assert handed.escalated_at is not None and "shower is leaking" in handed.escalation_reason
    assert HousekeepingRequest.objects.get().request_type == "maintenance"


def test_a_mid_stay_check_from_days_ago_is_not_what_the_guest_answers(hotel) -> None:
    hotel.reservation.status = ReservationStatus.ON_STAY
    hotel.reservation.save(update_fields=["status"])
    hotel_message(hotel, MessageOrigin.MID_STAY, timezone.now() - dt.timedelta(days=3))
    answer = turn(chat(hotel), "Everything is great, thanks!")
    assert "wonderful to hear" not in answer


def test_in_llm_mode_the_model_knows_it_answers_the_check_and_code_escalates_a_problem(
    checked, fake_openai: FakeOpenAI
) -> None:
    """The model is told the turn answers the mid-stay check. A model that only chats back
    about a smoky room does not stop the problem reaching staff: code reads the reply too."""
    fake_openai.script(text("Thank you for letting us know!"))
    turn(chat(checked), "the room smells of smoke")

    instructions = fake_openai.requests[0].body["messages"][0]["content"]
    assert "mid-stay check" in instructions
    handed = conversation(checked)
    assert handed.escalated_at is not None
    assert "the room smells of smoke" in handed.escalation_reason


def test_in_llm_mode_praise_is_the_models_warm_word_and_no_escalation(
    checked, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(text("So glad you are enjoying your stay!"))
    assert turn(chat(checked), "Everything is great, thanks!") == (
        "So glad you are enjoying your stay!"
    )
    assert conversation(checked).escalated_at is None


# --- the post-stay follow-up ----------------------------------------------------------------------


@pytest.fixture
def departed(hotel: factories.Hotel) -> dt.datetime:
    """Ana checked out of a 2-night stay in a Deluxe King (ordering nasi goreng on the way);
    the thank-you with the feedback link went at 10:00 Jakarta time yesterday; the form is
    unanswered. Returns when the thank-you went."""
    sent = dt.datetime.combine(
        timezone.now().astimezone(JAKARTA).date() - dt.timedelta(days=1), dt.time(10), JAKARTA
    )
    stay = hotel.reservation
    stay.status = ReservationStatus.CHECKED_OUT
    stay.room_type = "Deluxe King"
    stay.check_in = sent.date() - dt.timedelta(days=3)
    stay.check_out = sent.date() - dt.timedelta(days=1)
    stay.feedback_status = FeedbackStatus.PENDING
    stay.save()
    RoomServiceOrder.objects.create(
        tenant=hotel.tenant,
        reservation=stay,
        guest=hotel.guest,
        room_number="101",
        items=[{"name": "Nasi Goreng", "quantity": 2}],
        total=130000,
        currency="IDR",
    )
    hotel_message(hotel, MessageOrigin.POST_STAY, sent, "Thank you for staying with us!")
    return sent


def follow_ups() -> list[MessageLog]:
    return list(
        MessageLog.objects.filter(
            direction=Direction.OUTBOUND,
            origin=MessageOrigin.AGENT,
            job__idempotency_key__endswith=":feedback-follow-up:send",
        )
    )


def tick_and_work(at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        scheduler.tick()
        run_worker()


def test_the_follow_up_goes_once_24_hours_after_the_thank_you(hotel, departed) -> None:
    tick_and_work(departed + dt.timedelta(hours=23, minutes=50))
    assert follow_ups() == [], "not before 24 hours"

    at = departed + dt.timedelta(hours=24, minutes=1)
    tick_and_work(at)
    tick_and_work(at + dt.timedelta(minutes=1))
    tick_and_work(at + dt.timedelta(hours=5))

    [follow_up] = follow_ups()
    assert follow_up.status == MessageStatus.SENT
    assert follow_up.chat_id == chat(hotel)
    # Personal, from the stay, in the guest's language (Indonesian).
    assert "Ana" in follow_up.body and "Deluxe King" in follow_up.body
    assert "2 malam" in follow_up.body and "Nasi Goreng" in follow_up.body
    assert "1 sampai 5" in follow_up.body
    assert AutomationJob.objects.filter(kind=JobKind.FEEDBACK_FOLLOW_UP).count() == 1


def test_no_follow_up_when_the_form_is_answered(hotel, departed) -> None:
    hotel.reservation.feedback_status = FeedbackStatus.COMPLETED
    hotel.reservation.feedback_rating = 5
    hotel.reservation.save()
    tick_and_work(departed + dt.timedelta(hours=25))
    assert follow_ups() == []


def test_no_follow_up_when_the_form_is_answered_after_it_was_queued(hotel, departed) -> None:
    with time_machine.travel(departed + dt.timedelta(hours=25), tick=False):
        assert scheduler.tick() >= 1
        hotel.reservation.feedback_status = FeedbackStatus.COMPLETED
        hotel.reservation.save()
        run_worker()
    assert follow_ups() == []


def test_no_follow_up_to_a_guest_who_opted_out(hotel, departed) -> None:
    hotel.guest.opted_out_at = departed + dt.timedelta(hours=2)
    hotel.guest.save()
    tick_and_work(departed + dt.timedelta(hours=25))
    assert not MessageLog.objects.filter(origin=MessageOrigin.AGENT).exists()


def test_no_follow_up_while_staff_hold_the_conversation(hotel, departed) -> None:
    assert guest_writes(Client(), chat(hotel), "Terima kasih!").status_code == 200
    with acting_for_tenant(hotel.tenant.id, role="staff"):
        services.take_over(hotel.tenant, conversation(hotel), hotel.staff)
    tick_and_work(departed + dt.timedelta(hours=25))
    assert follow_ups() == [], "not even written while people hold the chat"
    [job] = AutomationJob.objects.filter(kind=JobKind.FEEDBACK_FOLLOW_UP)
    assert job.payload["result"] == {"skipped": "staff hold the conversation"}


def test_staff_who_take_over_after_it_was_written_stop_it_at_the_send(hotel, departed) -> None:
    assert guest_writes(Client(), chat(hotel), "Terima kasih!").status_code == 200
    with time_machine.travel(departed + dt.timedelta(hours=25), tick=False):
        scheduler.tick()
        [job] = AutomationJob.objects.filter(kind=JobKind.FEEDBACK_FOLLOW_UP)
        follow_up.run_follow_up(job, hotel.tenant)  # written and queued, not sent yet
        with acting_for_tenant(hotel.tenant.id, role="staff"):
            services.take_over(hotel.tenant, conversation(hotel), hotel.staff)
        run_worker()
    [written] = follow_ups()
    assert written.status == MessageStatus.FAILED
    assert "staff hold the conversation" in written.failure_reason


def test_a_form_answered_after_the_follow_up_was_written_stops_it_at_the_send(
    hotel, departed
) -> None:
    with time_machine.travel(departed + dt.timedelta(hours=25), tick=False):
        scheduler.tick()
        [job] = AutomationJob.objects.filter(kind=JobKind.FEEDBACK_FOLLOW_UP)
        follow_up.run_follow_up(job, hotel.tenant)  # written and queued, not sent yet
        with acting_for_tenant(hotel.tenant.id):
            link = feedback_services.issue_link(hotel.reservation)
        # The guest answers the form meanwhile (a low rating, which escalates the chat too).
        Client().post(link.removeprefix("http://testserver"), {"rating": "1", "comments": "Noisy"})
        run_worker()
    [written] = follow_ups()
    assert written.status == MessageStatus.FAILED
    assert "the feedback form is answered" in written.failure_reason


def test_the_follow_up_waits_out_the_quiet_hours(hotel, departed) -> None:
    night = departed.replace(hour=23) + dt.timedelta(days=1)  # 23:00 in Jakarta
    tick_and_work(night)
    assert follow_ups() == []
    tick_and_work(night + dt.timedelta(hours=10, minutes=5))  # 09:05
    assert len(follow_ups()) == 1


def answered(hotel: factories.Hotel, departed: dt.datetime) -> None:
    """The follow-up went, and it is now a few hours later."""
    tick_and_work(departed + dt.timedelta(hours=24, minutes=1))
    assert len(follow_ups()) == 1


def test_the_guests_answer_becomes_their_rating_with_their_words(hotel, departed) -> None:
    answered(hotel, departed)
    answer = turn(chat(hotel), "It was great but the AC was loud, 4 stars")

    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_status == FeedbackStatus.COMPLETED
    assert hotel.reservation.feedback_rating == 4
    assert hotel.reservation.feedback_comments == "It was great but the AC was loud, 4 stars"
    assert hotel.reservation.feedback_source == FeedbackSource.CHAT
    assert "4 out of 5" in answer and "Thank you, Ana" in answer
    assert conversation(hotel).escalated_at is None
    assert FeedbackFollowUp.objects.get().outcome == FollowUpOutcome.RECORDED


def review_sites(hotel: factories.Hotel) -> None:
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        FeedbackSettings.objects.create(
            tenant=hotel.tenant,
            google_url="https://g.page/r/hotel-nusantara/review",
            other_label="Traveloka",
            other_url="https://www.traveloka.com/hotel/nusantara",
        )


@pytest.mark.parametrize("words", ["1 star, the room was dirty", "5 stars, perfect!"])
def test_every_rating_given_in_the_chat_is_offered_the_review_sites(
    hotel, departed, words: str
) -> None:
    review_sites(hotel)
    answered(hotel, departed)
    answer = turn(chat(hotel), words)

    assert "https://g.page/r/hotel-nusantara/review" in answer
    assert "Traveloka: https://www.traveloka.com/hotel/nusantara" in answer


def test_in_llm_mode_the_review_sites_follow_the_models_thanks(
    hotel, departed, fake_openai: FakeOpenAI
) -> None:
    review_sites(hotel)
    fake_openai.script(
        text("Halo Ana, bagaimana menginapnya? Nilai 1 sampai 5?"),
        tool_call("update_guest_feedback", {"rating": 4, "comments": "The AC was loud"}),
        text("Thank you, Ana. We will look at the AC."),
    )
    answered(hotel, departed)
    answer = turn(chat(hotel), "4 stars, the AC was loud")

    assert answer.startswith("Thank you, Ana. We will look at the AC.")
    assert answer.count("https://g.page/r/hotel-nusantara/review") == 1


def agent_messages() -> list[MessageLog]:
    return list(MessageLog.objects.filter(origin=MessageOrigin.AGENT).order_by("pk"))


def test_a_low_rating_in_the_chat_thanks_the_guest_then_alerts_staff(hotel, departed) -> None:
    answered(hotel, departed)
    answer = turn(chat(hotel), "1 star, the room was dirty")

    thanks = agent_messages()[-1]
    assert thanks.body == answer and "1 out of 5" in answer
    assert thanks.status != MessageStatus.FAILED, thanks.failure_reason  # it went out
    current = conversation(hotel)
    assert current.escalated_at is not None and "1/5" in current.escalation_reason


def test_the_concierges_word_that_it_passed_the_chat_to_staff_reaches_the_guest(
    checked,
) -> None:
    # The turn that escalates writes "I have passed this to our team": it must go out, although
    # the conversation is escalated by the time the worker sends it.
    answer = turn(chat(checked), "the room smells of smoke")

    told = agent_messages()[-1]
    assert told.body == answer
    assert told.status != MessageStatus.FAILED, told.failure_reason
    assert conversation(checked).escalated_at is not None


def test_without_a_rating_it_asks_once_then_leaves_it_to_staff(hotel, departed) -> None:
    answered(hotel, departed)
    asked = turn(chat(hotel), "Kamarnya enak tapi sarapannya kurang variasi")
    assert "1 (buruk) sampai 5" in asked
    assert conversation(hotel).escalated_at is None

    turn(chat(hotel), "hmm susah bilangnya")
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_status == FeedbackStatus.PENDING
    handed = conversation(hotel)
    assert handed.escalated_at is not None
    assert "susah bilangnya" in handed.escalation_reason


def test_a_rating_given_after_the_question_keeps_the_first_words(hotel, departed) -> None:
    answered(hotel, departed)
    turn(chat(hotel), "Kamarnya enak tapi sarapannya kurang variasi")
    turn(chat(hotel), "⭐⭐⭐⭐")
    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_rating == 4
    assert "sarapannya kurang variasi" in hotel.reservation.feedback_comments


def test_in_llm_mode_the_follow_up_is_written_by_the_model_from_the_stay(
    hotel, departed, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(text("Halo Ana! Bagaimana 2 malam Anda di Deluxe King? Nilai 1-5?"))
    answered(hotel, departed)
    assert follow_ups()[0].body == "Halo Ana! Bagaimana 2 malam Anda di Deluxe King? Nilai 1-5?"
    brief = fake_openai.requests[0].body["messages"]
    written = " ".join(str(message.get("content")) for message in brief)
    assert "Deluxe King" in written and "Nasi Goreng" in written and "Indonesian" in written
    assert "tools" not in fake_openai.requests[0].body, "writing the follow-up needs no tools"


def test_in_llm_mode_a_failing_model_still_sends_the_embedded_follow_up(
    hotel, departed, fake_openai: FakeOpenAI
) -> None:
    fake_openai.stop()
    answered(hotel, departed)
    assert "Deluxe King" in follow_ups()[0].body


def test_in_llm_mode_the_model_records_the_rating_through_the_bound_tool(
    hotel, departed, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        text("Halo Ana, bagaimana menginapnya? Nilai 1 sampai 5?"),  # the follow-up itself
        tool_call(
            "update_guest_feedback",
            {"rating": 4, "comments": "It was great but the AC was loud"},
        ),
        text("Thank you, Ana! We have noted your 4 stars and will look at the AC."),
    )
    answered(hotel, departed)
    answer = turn(chat(hotel), "It was great but the AC was loud, 4 stars")

    hotel.reservation.refresh_from_db()
    assert hotel.reservation.feedback_rating == 4
    assert hotel.reservation.feedback_comments == "It was great but the AC was loud"
    assert hotel.reservation.feedback_source == FeedbackSource.CHAT
    assert answer == "Thank you, Ana! We have noted your 4 stars and will look at the AC."
    turn_request = fake_openai.requests[1].body
    assert "update_guest_feedback" in [tool["function"]["name"] for tool in turn_request["tools"]]


def test_in_llm_mode_the_feedback_tool_is_offered_only_while_a_follow_up_waits(
    hotel, fake_openai: FakeOpenAI
) -> None:
    hotel.reservation.status = ReservationStatus.ON_STAY
    hotel.reservation.save(update_fields=["status"])
    fake_openai.script(text("Hello! How can I help?"))
    turn(chat(hotel), "Hello")
    offered = [tool["function"]["name"] for tool in fake_openai.requests[0].body["tools"]]
    assert "update_guest_feedback" not in offered and "escalate_to_human" in offered


def test_in_llm_mode_a_second_answer_without_a_rating_goes_to_staff(
    hotel, departed, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        text("Halo Ana, bagaimana menginapnya? Nilai 1 sampai 5?"),  # the follow-up itself
        text("Thank you! How would you rate it from 1 to 5?"),
        text("I see, thank you!"),  # the model neither records nor hands over: code does
    )
    answered(hotel, departed)
    assert turn(chat(hotel), "The breakfast was nice") == (
        "Thank you! How would you rate it from 1 to 5?"
    )
    assert conversation(hotel).escalated_at is None
    turn(chat(hotel), "hard to say really")
    handed = conversation(hotel)
    assert handed.escalated_at is not None and "hard to say" in handed.escalation_reason
    assert "already asked them once" in fake_openai.requests[2].body["messages"][0]["content"]


def test_the_embedded_follow_up_speaks_of_the_guests_own_stay() -> None:
    facts = follow_up.StayFacts(
        hotel="Hotel Nusantara",
        first_name="Sam",
        language="en",
        room_type="Ocean Suite",
        nights=1,
        spent="IDR 4,500,000",
        earlier_stays=2,
        ordered=["Nasi Goreng", "Es Teh Manis"],
        requested=["maintenance"],
        had_a_fault=True,
    )
    written = follow_up.embedded_text(facts)
    assert written.startswith("Hello Sam, this is Hotel Nusantara again.")
    assert "your 1 night in our Ocean Suite" in written
    assert "welcome you back" in written
    assert "Nasi Goreng and Es Teh Manis" in written
    assert "needed fixing" in written
    assert "from 1 to 5" in written
    assert "4,500,000" not in written, "what a guest spent is never quoted to them"


@pytest.mark.parametrize(
    ("words", "rating"),
    [
        ("It was great but the AC was loud, 4 stars", 4),
        ("4/5", 4),
        ("nilai 4", 4),
        ("bintang 5, mantap", 5),
        ("⭐⭐⭐", 3),
        ("3", 3),
        ("I'd rate it 4, the pool was lovely", 4),
        ("I would give it a 5!", 5),
        ("Saya kasih nilai 5", 5),
        ("Excellent!", 5),
        ("terrible", 1),
        ("Luar biasa", 5),
        ("buruk", 2),
        ("great but the AC was loud", None),
        ("3.5 stars", None),
        ("8/10", None),
        # A low score on another scale is no rating out of 5 (it was read as 3/5, no alert).
        ("I would rate it 3 out of 10", None),
        ("rating 4/10", None),
        ("nilai 4 dari 10", None),
        ("not 5 stars", None),
        ("5 stars? no way, 2 at most", None),
        ("2 nights, 4 stars", None),
        ("4 out of 5", 4),
        ("room 214 was great, 5 stars", 5),
        ("We stayed 2 nights", None),
        ("Could you give 2 towels to the next guest", None),
    ],
)
def test_ratings_the_engine_reads(words: str, rating: int | None) -> None:
    assert read_rating(words) == rating
