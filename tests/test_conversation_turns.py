"""One reply per guest turn, in order, never over a person's head (conversations.turns).

A trivial auto-responder stands in for the concierge: it answers every turn with what it heard.
Guests write through the signed WAHA webhook; the worker runs the queue with real settings
(burst window, quiet hours, pacing), the clock travelling past the burst window."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind, JobStatus
from conversations import services, turns
from conversations.models import Conversation, ConversationStatus, Holder
from innbox.integrations import IntegrationError
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from messaging.services import NothingToSend
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import guest_writes
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db
UNKNOWN_CHAT = "447911123401@c.us"


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant,
        session_name="default",
        status=SessionStatus.WORKING,
        status_changed_at=timezone.now() - dt.timedelta(days=1),
    )
    return hotel_a


@pytest.fixture
def heard() -> Iterator[list[str]]:
    """The auto-responder: answers each turn with the guest's words, and remembers them."""
    saved = list(turns.RESPONDERS)
    turns_heard: list[str] = []

    def echo(turn: turns.Turn) -> turns.Reply:
        turns_heard.append(turn.text)
        return turns.Reply(text=f"You said: {turn.text}", language="en")

    turns.register_responder(echo)
    yield turns_heard
    turns.RESPONDERS[:] = saved


def chat(hotel: factories.Hotel) -> str:
    return hotel.guest.phone_e164.lstrip("+") + "@c.us"


def writes(chat_id: str, text: str, **kwargs: Any) -> None:
    response = guest_writes(Client(), chat_id, text, **kwargs)
    assert response.status_code == 200, response.content


def run_jobs(after: dt.timedelta = dt.timedelta(seconds=10)) -> None:
    """The worker, once the burst window (and any deferral) has passed."""
    with time_machine.travel(timezone.now() + after):
        while queue.run_once():
            pass


def agent_replies() -> list[MessageLog]:
    return list(
        MessageLog.objects.filter(direction=Direction.OUTBOUND, origin=MessageOrigin.AGENT)
        .order_by("pk")
        .all()
    )


def the_conversation(chat_id: str) -> Conversation:
    return Conversation.objects.get(chat_id=chat_id)


def test_a_known_guests_message_opens_their_conversation_unread(hotel, heard) -> None:
    writes(chat(hotel), "Jam berapa sarapan?")

    conversation = the_conversation(chat(hotel))
    assert conversation.guest == hotel.guest and conversation.reservation == hotel.reservation
    assert conversation.unread_count == 1 and conversation.status == ConversationStatus.OPEN
    assert conversation.last_message_preview == "Jam berapa sarapan?"
    turn = AutomationJob.objects.get(kind=JobKind.CONVERSATION_TURN)
    assert turn.run_at >= timezone.now() + dt.timedelta(seconds=3), "waits for the burst"

    run_jobs()
    assert heard == ["Jam berapa sarapan?"]
    assert [m.status for m in agent_replies()] == [MessageStatus.SENT]
    assert agent_replies()[0].chat_id == chat(hotel)


def test_the_same_message_delivered_twenty_times_is_answered_once(hotel, heard) -> None:
    message_id = f"false_{chat(hotel)}_{uuid.uuid4().hex[:16].upper()}"
    for _ in range(20):
        writes(chat(hotel), "Is the pool open?", message_id=message_id)
    run_jobs()

    assert heard == ["Is the pool open?"]
    assert len(agent_replies()) == 1
    assert MessageLog.objects.filter(direction=Direction.INBOUND).count() == 1
    assert the_conversation(chat(hotel)).unread_count == 1


def test_a_burst_of_five_messages_is_one_turn(hotel, heard) -> None:
    lines = ["Hi", "I'm in 101", "could I get", "two towels", "please"]
    for line in lines:
        writes(chat(hotel), line)
    run_jobs()

    assert heard == ["\n".join(lines)]
    assert len(agent_replies()) == 1
    assert AutomationJob.objects.filter(
        kind=JobKind.CONVERSATION_TURN, status=JobStatus.SUCCEEDED
    ).count() == len(lines)


def test_turns_further_apart_than_the_burst_are_answered_in_order(hotel, heard) -> None:
    writes(chat(hotel), "First question")
    run_jobs()
    writes(chat(hotel), "Second question")
    run_jobs()

    assert heard == ["First question", "Second question"]
    assert [m.body for m in agent_replies()] == [
        "You said: First question",
        "You said: Second question",
    ]


def test_staff_taking_over_mid_turn_means_nothing_automatic_is_sent(hotel) -> None:
    """The turn is held inside the responder (the concierge thinking) while staff take over."""
    saved = list(turns.RESPONDERS)

    def slow_concierge(turn: turns.Turn) -> turns.Reply:
        with acting_for_tenant(hotel.tenant.id, role="staff"):
            services.take_over(hotel.tenant, turn.conversation, hotel.staff)
        return turns.Reply(text="An automatic answer", language="en")

    turns.register_responder(slow_concierge)
    try:
        writes(chat(hotel), "Hello?")
        run_jobs()
    finally:
        turns.RESPONDERS[:] = saved

    assert agent_replies() == []
    conversation = the_conversation(chat(hotel))
    assert conversation.holder == Holder.STAFF and conversation.held_by == hotel.staff


def test_staff_taking_over_after_the_answer_was_queued_stops_its_send(hotel, heard) -> None:
    """Between the turn and the worker's send: the send guard holds the answer back."""
    writes(chat(hotel), "Hello?")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=10)):
        [(turn_job, tenant_id)] = queue.claim_due_jobs(worker="worker-1")
        queue.run_job(turn_job, tenant_id, worker="worker-1")
    [queued] = agent_replies()
    assert queued.status == MessageStatus.QUEUED

    with acting_for_tenant(hotel.tenant.id, role="staff"):
        services.take_over(hotel.tenant, the_conversation(chat(hotel)), hotel.staff)
    run_jobs()

    queued.refresh_from_db()
    assert queued.status == MessageStatus.FAILED
    assert queued.failure_reason == "Not sent: staff hold the conversation"
    assert queued.sent_at is None


def test_a_message_typed_on_the_hotels_phone_shows_and_makes_staff_hold_it(hotel, heard) -> None:
    writes(chat(hotel), "Is late checkout possible?")
    hotel_phone(chat(hotel), "Yes, until 14:00. See you!")
    run_jobs()

    typed = MessageLog.objects.get(origin=MessageOrigin.HOTEL_PHONE)
    assert (typed.direction, typed.chat_id, typed.guest) == (
        Direction.OUTBOUND,
        chat(hotel),
        hotel.guest,
    )
    conversation = the_conversation(chat(hotel))
    assert conversation.holder == Holder.STAFF and conversation.held_by is None
    assert heard == [], "the concierge does not talk over the person on the phone"
    writes(chat(hotel), "Thanks!")
    run_jobs()
    assert heard == [] and agent_replies() == []


def test_our_own_sends_echoed_back_are_not_the_hotels_phone(hotel, heard) -> None:
    hotel_phone(chat(hotel), "Welcome to the hotel", source="api")
    assert not MessageLog.objects.exists()
    assert not Conversation.objects.exists()


def test_history_synced_after_pairing_is_stored_but_never_answered(hotel, heard) -> None:
    WahaConfiguration.objects.filter(tenant=hotel.tenant).update(status_changed_at=timezone.now())
    writes(chat(hotel), "An old message", sent_at=timezone.now() - dt.timedelta(days=3))
    run_jobs()

    assert MessageLog.objects.filter(direction=Direction.INBOUND).count() == 1
    assert not AutomationJob.objects.filter(kind=JobKind.CONVERSATION_TURN).exists()
    assert heard == [] and the_conversation(chat(hotel)).unread_count == 0


def test_an_unknown_number_gets_a_conversation_staff_can_answer_and_link(hotel, heard) -> None:
    writes(UNKNOWN_CHAT, "Hello, do you have rooms for Friday?")
    conversation = the_conversation(UNKNOWN_CHAT)
    assert conversation.guest is None and conversation.phone_e164 == "+447911123401"

    with acting_for_tenant(hotel.tenant.id, role="staff"):
        reply = services.reply(
            hotel.tenant, conversation, hotel.staff, free_text="Yes, we do. How many guests?"
        )
    run_jobs()
    reply.refresh_from_db()
    assert (reply.status, reply.chat_id, reply.author) == (
        MessageStatus.SENT,
        UNKNOWN_CHAT,
        hotel.staff,
    )
    assert heard == [], "staff answered first: the conversation is theirs"

    with acting_for_tenant(hotel.tenant.id, role="staff"):
        guest = services.create_guest(
            hotel.tenant,
            the_conversation(UNKNOWN_CHAT),
            hotel.staff,
            first_name="Oliver",
            last_name="Reed",
            language="en",
        )
    assert the_conversation(UNKNOWN_CHAT).guest == guest
    assert guest.phone_e164 == "+447911123401" and guest.whatsapp_chat_id == UNKNOWN_CHAT
    assert MessageLog.objects.filter(chat_id=UNKNOWN_CHAT, guest=guest).count() == 2


def test_a_closed_conversation_reopens_when_the_guest_writes(hotel, heard) -> None:
    writes(chat(hotel), "Thank you for everything")
    run_jobs()
    with acting_for_tenant(hotel.tenant.id, role="staff"):
        services.close(hotel.tenant, the_conversation(chat(hotel)), hotel.staff)
    assert the_conversation(chat(hotel)).status == ConversationStatus.CLOSED

    writes(chat(hotel), "Oh, one more thing")
    assert the_conversation(chat(hotel)).status == ConversationStatus.OPEN
    assert the_conversation(chat(hotel)).unread_count == 1


def test_handing_back_answers_only_what_the_guest_writes_afterwards(hotel, heard) -> None:
    writes(chat(hotel), "I need help")
    with acting_for_tenant(hotel.tenant.id, role="staff"):
        services.take_over(hotel.tenant, the_conversation(chat(hotel)), hotel.staff)
    run_jobs()
    writes(chat(hotel), "Still there?")
    run_jobs()
    assert heard == []

    with acting_for_tenant(hotel.tenant.id, role="staff"):
        services.hand_back(hotel.tenant, the_conversation(chat(hotel)), hotel.staff)
    writes(chat(hotel), "What time is breakfast?")
    run_jobs()
    assert heard == ["What time is breakfast?"]


def test_an_escalated_conversation_waits_for_staff(hotel, heard) -> None:
    writes(chat(hotel), "Hello")
    with acting_for_tenant(hotel.tenant.id):
        services.escalate(hotel.tenant, the_conversation(chat(hotel)), "the guest is unhappy")
    run_jobs()
    assert heard == [] and agent_replies() == []


def test_without_a_concierge_nobody_answers_automatically(hotel, settings) -> None:
    settings.CONVERSATION_RESPONDER = ""  # an installation that wants no automatic answers
    saved = list(turns.RESPONDERS)
    turns.RESPONDERS.clear()
    try:
        writes(chat(hotel), "Hello")
        run_jobs()
    finally:
        turns.RESPONDERS[:] = saved
    turn = AutomationJob.objects.get(kind=JobKind.CONVERSATION_TURN)
    assert turn.status == JobStatus.SUCCEEDED
    assert turn.payload["result"] == {"silent": "no concierge answers automatically"}
    assert agent_replies() == []


def hotel_phone(chat_id: str, text: str, *, source: str = "app") -> None:
    """WAHA's `message.any` for a message the hotel's own phone sent to `chat_id`."""
    payload = {
        "id": f"true_{chat_id}_{uuid.uuid4().hex[:16].upper()}",
        "timestamp": int(time.time()),
        "from": "6281100001111@c.us",
        "fromMe": True,
        "source": source,
        "to": chat_id,
        "body": text,
        "hasMedia": False,
    }
    raw = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "timestamp": int(time.time() * 1000),
            "event": "message.any",
            "session": "default",
            "payload": payload,
            "engine": "NOWEB",
        }
    ).encode()
    response = Client().post(
        "/api/webhooks/waha/",
        raw,
        content_type="application/json",
        HTTP_X_WEBHOOK_HMAC=hmac.new(
            settings.WAHA_WEBHOOK_HMAC_KEY.encode(), raw, hashlib.sha512
        ).hexdigest(),
        HTTP_X_WEBHOOK_HMAC_ALGORITHM="sha512",
        HTTP_X_WEBHOOK_TIMESTAMP=str(int(time.time() * 1000)),
    )
    assert response.status_code == 200, response.content


def test_answering_from_the_reservation_page_reads_and_holds_the_conversation(hotel, heard) -> None:
    writes(chat(hotel), "Can I have a late checkout?")
    staff = Client()
    staff.force_login(hotel.staff)
    response = staff.post(
        "/api/messages/send/",
        {"reservation": str(hotel.reservation.public_id), "text": "Yes, until 14:00."},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 202, response.content
    run_jobs()

    conversation = the_conversation(chat(hotel))
    assert conversation.unread_count == 0
    assert (conversation.holder, conversation.held_by) == (Holder.STAFF, hotel.staff)
    assert heard == [], "the concierge does not answer what a person answered"
    sent = MessageLog.objects.get(direction=Direction.OUTBOUND)
    assert (sent.author, sent.chat_id, sent.status) == (hotel.staff, chat(hotel), "sent")


def test_a_concierge_that_cannot_answer_is_retried_then_staff_are_asked(hotel) -> None:
    calls: list[str] = []

    def unreachable(turn: turns.Turn) -> turns.Reply:
        calls.append(turn.text)
        raise IntegrationError("the model endpoint did not answer", retryable=True)

    saved = list(turns.RESPONDERS)
    turns.register_responder(unreachable)
    try:
        writes(chat(hotel), "Can I order breakfast?")
        for attempt in range(1, turns.TURN_ATTEMPTS + 1):
            run_jobs(after=dt.timedelta(hours=attempt))
    finally:
        turns.RESPONDERS[:] = saved

    turn = AutomationJob.objects.get(kind=JobKind.CONVERSATION_TURN)
    assert turn.status == JobStatus.DEAD and len(calls) == turns.TURN_ATTEMPTS
    conversation = the_conversation(chat(hotel))
    assert conversation.escalated_at is not None
    assert conversation.escalation_reason == (
        "the concierge could not answer (the model endpoint did not answer)"
    )
    assert agent_replies() == []


def test_a_question_followed_by_start_in_the_same_burst_is_still_answered(hotel, heard) -> None:
    """START (or STOP) is answered by the opt-out code and has no turn of its own: it must not
    swallow the question before it."""
    writes(chat(hotel), "What time is breakfast?")
    writes(chat(hotel), "START")
    run_jobs()
    assert heard == ["What time is breakfast?"]


def test_handing_back_while_the_concierge_thinks_leaves_that_turn_to_staff(hotel) -> None:
    """Staff take over, answer and hand back while the turn is inside the concierge: the guest
    does not get the concierge's answer on top of theirs."""

    def slow_concierge(turn: turns.Turn) -> turns.Reply:
        with acting_for_tenant(hotel.tenant.id, role="staff"):
            services.take_over(hotel.tenant, turn.conversation, hotel.staff)
            services.hand_back(hotel.tenant, turn.conversation, hotel.staff)
        return turns.Reply(text="An automatic answer", language="en")

    saved = list(turns.RESPONDERS)
    turns.register_responder(slow_concierge)
    try:
        writes(chat(hotel), "Is the spa open?")
        run_jobs()
    finally:
        turns.RESPONDERS[:] = saved
    assert agent_replies() == []


def test_a_concierge_that_crashes_hands_the_conversation_to_staff(hotel) -> None:
    def broken(turn: turns.Turn) -> turns.Reply:
        raise ZeroDivisionError("a bug")

    saved = list(turns.RESPONDERS)
    turns.register_responder(broken)
    try:
        writes(chat(hotel), "Hello")
        run_jobs()
    finally:
        turns.RESPONDERS[:] = saved
    conversation = the_conversation(chat(hotel))
    assert conversation.escalated_at is not None
    assert conversation.escalation_reason == "the concierge could not answer (an unexpected error)"


def test_staff_cannot_queue_a_reply_to_a_chat_whose_number_whatsapp_hides(hotel, heard) -> None:
    writes("123456789012345@lid", "Hello?")
    conversation = the_conversation("123456789012345@lid")
    with pytest.raises(NothingToSend), acting_for_tenant(hotel.tenant.id, role="staff"):
        services.reply(hotel.tenant, conversation, hotel.staff, free_text="Hi!")
    assert not MessageLog.objects.filter(direction=Direction.OUTBOUND, author=hotel.staff)
