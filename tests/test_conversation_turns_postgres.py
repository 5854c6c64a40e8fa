"""Conversation turns as production runs them: the WAHA webhook as the web app's role
(innbox_app), two workers as the worker's role (innbox_worker), under row-level security, with
the real burst window, quiet hours and pacing. A trivial auto-responder stands in for the
concierge."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
import time_machine
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind
from conversations import turns
from conversations.models import Conversation
from messaging.models import Direction, MessageLog, MessageOrigin
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import django_connected_as, guest_writes
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
T = TypeVar("T")
STRANGER = "447911123401@c.us"


@pytest.fixture
def hotel(settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    hotel = factories.make_hotel("Hotel Alpha")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        WahaConfiguration.objects.create(
            tenant=hotel.tenant,
            session_name="default",
            status=SessionStatus.WORKING,
            status_changed_at=timezone.now() - dt.timedelta(days=1),
        )
    return hotel


@contextmanager
def responder(answer: Callable[[turns.Turn], turns.Reply]) -> Iterator[None]:
    saved = list(turns.RESPONDERS)
    turns.register_responder(answer)
    try:
        yield
    finally:
        turns.RESPONDERS[:] = saved


class Worker:
    """One worker process's connection, as the worker's role, on its own thread."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1)
        self.call(self._connect)

    @staticmethod
    def _connect() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == settings.DB_WORKER_ROLE

    def call(self, work: Callable[[], T]) -> T:
        return self.pool.submit(work).result(timeout=60)

    def start(self, work: Callable[[], T]) -> Any:
        return self.pool.submit(work)

    def close(self) -> None:
        self.pool.submit(connections.close_all).result(timeout=10)
        self.pool.shutdown()


@contextmanager
def two_workers() -> Iterator[tuple[Worker, Worker]]:
    """Two workers connected as innbox_worker; the test's own connection is the web app's."""
    with django_connected_as(settings.DB_WORKER_ROLE):
        workers = (Worker(), Worker())
    try:
        with django_connected_as(settings.DB_APP_ROLE):
            yield workers
    finally:
        for worker in workers:
            worker.close()


def one_job() -> int:
    """A worker's loop step, one job at a time (so two workers share a batch)."""
    return queue.run_once(limit=1)


def writes(chat_id: str, text: str, message_id: str | None = None) -> int:
    return guest_writes(Client(), chat_id, text, message_id=message_id).status_code


def chat(hotel: factories.Hotel) -> str:
    return hotel.guest.phone_e164.lstrip("+") + "@c.us"


def agent_replies() -> list[str]:
    return list(
        MessageLog.objects.filter(direction=Direction.OUTBOUND, origin=MessageOrigin.AGENT)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def test_one_message_delivered_twenty_times_at_once_is_one_turn(hotel) -> None:
    heard: list[str] = []
    message_id = f"false_{chat(hotel)}_{uuid.uuid4().hex[:16].upper()}"
    start = threading.Barrier(20)

    def deliver(_: int) -> int:
        try:
            start.wait(timeout=30)
            return writes(chat(hotel), "Is the pool open?", message_id)
        finally:
            connections.close_all()

    def echo(turn: turns.Turn) -> turns.Reply:
        heard.append(turn.text)
        return turns.Reply(text="Yes, until 20:00.", language="en")

    with responder(echo), two_workers() as (first, second):
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(deliver, range(20)))
        # Every copy is taken (200), or refused for WAHA to retry while another commits (409).
        assert set(answers) <= {200, 409} and 200 in answers
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=10)):
            for _ in range(5):
                first.call(one_job)
                second.call(one_job)

    assert heard == ["Is the pool open?"]
    assert agent_replies() == ["Yes, until 20:00."]
    assert MessageLog.objects.filter(direction=Direction.INBOUND).count() == 1
    assert AutomationJob.objects.filter(kind=JobKind.CONVERSATION_TURN).count() == 1


def test_a_burst_of_five_is_one_turn_across_two_workers(hotel) -> None:
    heard: list[str] = []

    def echo(turn: turns.Turn) -> turns.Reply:
        heard.append(turn.text)
        return turns.Reply(text="Noted.", language="en")

    lines = ["Hi", "room 101", "two towels", "and soap", "thanks"]
    with responder(echo), two_workers() as (first, second):
        for line in lines:
            assert writes(chat(hotel), line) == 200
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=10)):
            for _ in range(4):
                pending = [first.start(one_job), second.start(one_job)]
                for done in pending:
                    done.result(timeout=60)

    assert heard == ["\n".join(lines)]
    assert agent_replies() == ["Noted."]


def test_two_conversations_run_in_parallel_one_conversations_turns_in_order(hotel) -> None:
    """Two conversations' turns meet inside the concierge at the same moment (a barrier that
    breaks if they ran one after the other); a second turn of a conversation whose first is
    still running waits for it, on another worker, and then answers only its own message."""
    both_inside = threading.Barrier(2)
    first_may_finish = threading.Event()
    heard: list[str] = []

    def concierge(turn: turns.Turn) -> turns.Reply:
        heard.append(turn.text)
        if turn.text in {"From the guest", "From a stranger"}:
            both_inside.wait(timeout=20)
        if turn.text == "First":
            assert first_may_finish.wait(timeout=20)
        return turns.Reply(text=f"Re: {turn.text}", language="en")

    with responder(concierge), two_workers() as (first, second):
        assert writes(chat(hotel), "From the guest") == 200
        assert writes(STRANGER, "From a stranger") == 200
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=10)):
            parallel = [first.start(one_job), second.start(one_job)]
            assert [done.result(timeout=60) for done in parallel] == [1, 1]
        assert sorted(heard) == ["From a stranger", "From the guest"]

        heard.clear()
        assert writes(chat(hotel), "First") == 200
        written = timezone.now()
        with time_machine.travel(written + dt.timedelta(seconds=10)):
            running = first.start(one_job)  # inside the concierge until allowed to finish
            _wait_until(lambda: heard == ["First"])
        assert writes(chat(hotel), "Second") == 200
        with time_machine.travel(written + dt.timedelta(seconds=20)):
            assert second.call(one_job) == 1  # claimed, and deferred: "First" still runs
            with acting_for_tenant(hotel.tenant.id):
                second_turn = AutomationJob.objects.filter(kind=JobKind.CONVERSATION_TURN).latest(
                    "pk"
                )
            assert second_turn.status == "queued" and heard == ["First"]
            assert second_turn.run_at > written + dt.timedelta(seconds=20), "deferred"
            first_may_finish.set()
            assert running.result(timeout=60) == 1
        with time_machine.travel(written + dt.timedelta(seconds=40)):
            while second.call(one_job):
                pass

    assert heard == ["First", "Second"]
    conversation = Conversation.objects.get(chat_id=chat(hotel))
    assert agent_replies()[-2:] == ["Re: First", "Re: Second"]
    assert conversation.turn_owner == ""


def _wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError("timed out")
