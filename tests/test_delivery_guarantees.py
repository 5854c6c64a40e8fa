"""What a hotel trusts the queue with: one message per reason even when a worker dies mid-send or
WAHA's answer is lost, a dead job that a person can send again, and permanent refusals that are
not retried. Everything talks to the fake WAHA over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobStatus
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog, MessageStatus
from tests import factories
from tests.helpers import checked_in, connect_whatsapp
from whatsapp.waha import WahaClient

pytestmark = pytest.mark.django_db

HISTORY = "/api/default/chats/6281234560001@c.us/messages"


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the worker catches it."""


@pytest.fixture(autouse=True)
def no_quiet_hours(settings: Any) -> None:
    settings.AUTOMATION_QUIET_HOURS_END = settings.AUTOMATION_QUIET_HOURS_START = "00:00"


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield traveller


def after_the_lease(clock: Any) -> None:
    clock.shift(dt.timedelta(seconds=queue.LEASE_SECONDS + 1))


def test_a_worker_killed_after_whatsapp_took_the_message_does_not_send_it_again(
    hotel_a, fake_waha, settings, clock, monkeypatch
) -> None:
    job = checked_in(hotel_a, fake_waha, settings)
    real_send = WahaClient.send_text

    def send_then_die(self: WahaClient, *args: Any, **kwargs: Any) -> str | None:
        real_send(self, *args, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(WahaClient, "send_text", send_then_die)
    with pytest.raises(WorkerKilled):
        queue.run_once()
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and len(fake_waha.sent_texts) == 1

    assert queue.run_once() == 0  # still leased to the dead worker
    after_the_lease(clock)
    assert queue.run_once() == 1

    job.refresh_from_db()
    message = MessageLog.objects.get(direction="outbound")
    assert len(fake_waha.sent_texts) == 1  # the guest got it once
    assert job.status == JobStatus.SUCCEEDED and job.payload["result"]["reconciled"] is True
    assert message.status == MessageStatus.SENT
    assert message.waha_message_id == fake_waha.sent_texts[0]["id"]


def test_a_worker_killed_before_the_message_left_sends_it_once_after_the_lease(
    hotel_a, fake_waha, settings, clock, monkeypatch
) -> None:
    job = checked_in(hotel_a, fake_waha, settings)

    def die(*args: Any, **kwargs: Any) -> None:
        raise WorkerKilled

    monkeypatch.setattr(WahaClient, "start_typing", die)
    with pytest.raises(WorkerKilled):
        queue.run_once()
    monkeypatch.undo()
    assert fake_waha.sent_texts == []

    after_the_lease(clock)
    assert queue.run_once() == 1

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and "reconciled" not in job.payload["result"]
    assert len(fake_waha.sent_texts) == 1
    assert fake_waha.requests_to(HISTORY), "the history was checked before sending again"
    assert MessageLog.objects.get(direction="outbound").status == MessageStatus.SENT


def test_a_lost_answer_from_waha_is_settled_from_the_chat_history(
    hotel_a, fake_waha, settings, clock
) -> None:
    job = checked_in(hotel_a, fake_waha, settings)
    fake_waha.fail("POST", "/api/sendText", status=504, after_delivery=True)

    queue.run_once()
    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING and len(fake_waha.sent_texts) == 1

    clock.shift(dt.timedelta(hours=2))
    queue.run_once()

    job.refresh_from_db()
    message = MessageLog.objects.get(direction="outbound")
    assert len(fake_waha.sent_texts) == 1
    assert job.status == JobStatus.SUCCEEDED and len(job.error_history) == 1
    assert (message.status, message.waha_message_id) == ("sent", fake_waha.sent_texts[0]["id"])


def test_waha_always_down_ends_dead_and_retry_sends_it_once_waha_is_back(
    hotel_a, fake_waha, settings, clock
) -> None:
    job = checked_in(hotel_a, fake_waha, settings)
    fake_waha.fail("POST", "/api/sendText", status=500, times=1000)

    for _ in range(job.max_attempts):
        queue.run_once()
        clock.shift(dt.timedelta(hours=2))

    job.refresh_from_db()
    assert job.status == JobStatus.DEAD and len(job.error_history) == job.max_attempts
    staff = Client()
    staff.force_login(hotel_a.staff)
    page = staff.get("/automation/?state=dead").content.decode()
    assert "WAHA failed on POST /api/sendText (500)" in page
    assert fake_waha.sent_texts == []

    fake_waha._failures.clear()  # WAHA is back
    staff.post(f"/automation/{job.public_id}/retry/")
    assert queue.run_once() == 1

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and len(fake_waha.sent_texts) == 1
    assert MessageLog.objects.get(direction="outbound").status == MessageStatus.SENT


def test_an_invalid_number_fails_at_once_without_retrying(hotel_a, fake_waha, settings) -> None:
    job = checked_in(hotel_a, fake_waha, settings)
    fake_waha.fail(
        "POST",
        "/api/sendText",
        status=422,
        body={"statusCode": 422, "message": "invalid chatId: the number does not exist"},
    )

    queue.run_once()

    job.refresh_from_db()
    message = MessageLog.objects.get(direction="outbound")
    assert job.status == JobStatus.FAILED and job.attempts == 1 and job.finished_at is not None
    assert "422" in job.last_error and message.status == MessageStatus.FAILED
    assert queue.run_once() == 0 and fake_waha.sent_texts == []


def test_the_same_words_sent_twice_on_purpose_are_both_sent(
    hotel_a, fake_waha, settings, clock
) -> None:
    """A message already logged is not mistaken for a lost one with the same text."""
    checked_in(hotel_a, fake_waha, settings)
    AutomationJob.objects.all().delete()
    staff = Client()
    staff.force_login(hotel_a.staff)
    for _ in range(2):
        staff.post(
            "/api/messages/send/",
            {"reservation": str(hotel_a.reservation.public_id), "text": "Your taxi is here"},
        )
    queue.run_once()
    first, second = MessageLog.objects.filter(direction="outbound").order_by("pk")
    assert (first.status, second.status) == ("sent", "sent")
    # The second send's answer is lost; its retry must not claim the first message's id.
    fake_waha.fail("POST", "/api/sendText", status=504, after_delivery=True)
    staff.post(
        "/api/messages/send/",
        {"reservation": str(hotel_a.reservation.public_id), "text": "Your taxi is here"},
    )
    queue.run_once()
    clock.shift(dt.timedelta(hours=2))
    queue.run_once()

    third = MessageLog.objects.filter(direction="outbound").order_by("pk").last()
    assert third is not None and third.status == "sent"
    assert len(fake_waha.sent_texts) == 3
    assert len({first.waha_message_id, second.waha_message_id, third.waha_message_id}) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_answer_is_settled_by_the_worker_role_on_postgres(fake_waha, settings) -> None:
    from tests.helpers import django_connected_as

    hotel = factories.make_hotel("Hotel Alpha")
    job = checked_in(hotel, fake_waha, settings)
    fake_waha.fail("POST", "/api/sendText", status=504, after_delivery=True)
    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 1
    # PostgreSQL's own clock decides what is due: bring the retry forward instead of travelling,
    # and put the attempt far enough back that it cannot still be on its way.
    AutomationJob.objects.filter(pk=job.pk).update(run_at=timezone.now())
    MessageLog.objects.filter(job=job).update(
        send_started_at=timezone.now() - dt.timedelta(minutes=10)
    )
    with django_connected_as(settings.DB_WORKER_ROLE):
        assert queue.run_once() == 1

    job.refresh_from_db()
    message = MessageLog.objects.get(direction="outbound")
    assert job.status == JobStatus.SUCCEEDED and job.payload["result"]["reconciled"] is True
    assert len(fake_waha.sent_texts) == 1
    assert message.waha_message_id == fake_waha.sent_texts[0]["id"]


def test_an_earlier_copy_without_a_known_id_is_not_taken_for_a_lost_one(
    hotel_a, fake_waha, settings, clock
) -> None:
    """Some engines answer a send without the message id. When the same words go out again
    and that second call fails, the first copy in the chat must not pass for the second."""
    checked_in(hotel_a, fake_waha, settings)
    AutomationJob.objects.all().delete()
    staff = Client()
    staff.force_login(hotel_a.staff)
    words = {"reservation": str(hotel_a.reservation.public_id), "text": "Your taxi is here"}
    staff.post("/api/messages/send/", words)
    queue.run_once()
    first = MessageLog.objects.get(direction="outbound")
    MessageLog.objects.filter(pk=first.pk).update(waha_message_id=None)  # the engine said none
    clock.shift(dt.timedelta(seconds=2))  # within the clock-skew margin of the next attempt

    fake_waha.fail("POST", "/api/sendText", status=500)  # nothing reaches WhatsApp this time
    staff.post("/api/messages/send/", words)
    queue.run_once()
    clock.shift(dt.timedelta(hours=2))
    queue.run_once()

    second = MessageLog.objects.filter(direction="outbound").order_by("pk").last()
    assert second is not None and second.status == "sent"
    assert len(fake_waha.sent_texts) == 2  # the second copy really went out
    assert second.waha_message_id == fake_waha.sent_texts[1]["id"]


def test_a_retry_waits_until_an_attempt_cannot_still_be_on_its_way(
    hotel_a, fake_waha, settings, clock
) -> None:
    job = checked_in(hotel_a, fake_waha, settings)
    fake_waha.fail("POST", "/api/sendText", status=504)  # timed out: maybe still sending
    queue.run_once()
    job.refresh_from_db()
    job.run_at = timezone.now()  # the retry policy may bring it back at once
    job.save(update_fields=["run_at"])

    queue.run_once()

    job.refresh_from_db()
    started = MessageLog.objects.get(direction="outbound").send_started_at
    assert job.status == JobStatus.QUEUED and job.run_at >= started + dt.timedelta(minutes=2)
    assert not fake_waha.requests_to(HISTORY)  # not looked up, not sent: too early to tell
    assert fake_waha.sent_texts == []


def test_a_chat_history_waha_cannot_show_fails_with_advice_and_retry_sends(
    hotel_a, fake_waha, settings, clock
) -> None:
    job = checked_in(hotel_a, fake_waha, settings)
    fake_waha.fail("POST", "/api/sendText", status=504)
    fake_waha.fail(
        "GET", HISTORY, status=400, body={"statusCode": 400, "message": "Enable NOWEB store"}
    )
    queue.run_once()
    clock.shift(dt.timedelta(hours=2))
    queue.run_once()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Look at the chat" in job.last_error
    message = MessageLog.objects.get(direction="outbound")
    assert message.status == MessageStatus.FAILED and "Look at the chat" in message.failure_reason
    assert fake_waha.sent_texts == []
    staff = Client()
    staff.force_login(hotel_a.staff)
    staff.post(f"/automation/{job.public_id}/retry/")
    queue.run_once()  # the person looked: Retry sends
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and len(fake_waha.sent_texts) == 1


def test_a_worker_that_lost_its_lease_while_waiting_does_not_send(
    hotel_a, fake_waha, settings, clock, monkeypatch
) -> None:
    """Worker 1 is still typing when its lease runs out; worker 2 takes the job over, finds
    nothing in the chat and sends. Worker 1 then wakes up: it must not send a second copy."""
    job = checked_in(hotel_a, fake_waha, settings)
    real_typing = WahaClient.start_typing
    taken_over = []

    def slow_typing(self: WahaClient, *args: Any, **kwargs: Any) -> None:
        real_typing(self, *args, **kwargs)
        if taken_over:
            return  # worker 2 types at normal speed
        taken_over.append(True)
        clock.shift(dt.timedelta(seconds=queue.LEASE_SECONDS + 1))
        assert queue.claim_due_jobs(worker="worker-2") == [(job.pk, hotel_a.tenant.id)]
        queue.run_job(job.pk, hotel_a.tenant.id, worker="worker-2")

    monkeypatch.setattr(WahaClient, "start_typing", slow_typing)
    queue.run_once()  # worker 1

    job.refresh_from_db()
    assert len(fake_waha.sent_texts) == 1  # worker 2's; worker 1 stopped at the fence
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1
    assert MessageLog.objects.get(direction="outbound").status == MessageStatus.SENT


def test_cancelling_a_queued_manual_message_says_so_on_the_message(hotel_a, settings) -> None:
    settings.WAHA_BASE_URL = None
    seed_default_templates(hotel_a.tenant)
    staff = Client()
    staff.force_login(hotel_a.staff)
    staff.post(
        "/api/messages/send/",
        {"reservation": str(hotel_a.reservation.public_id), "text": "See you at 7"},
    )
    job = AutomationJob.objects.get()
    owner = Client()  # cancelling is the owners' (docs/permissions.md)
    owner.force_login(hotel_a.owner)
    owner.post(f"/automation/{job.public_id}/cancel/")

    message = MessageLog.objects.get()
    assert message.status == MessageStatus.FAILED and "cancelled" in message.failure_reason
    page = staff.get(f"/reservations/{hotel_a.reservation.public_id}/").content.decode()
    assert 'hx-trigger="every 3s"' not in page  # nothing on its way: no refreshing


def test_every_log_line_of_a_job_names_its_job_hotel_reservation_and_causing_request(
    hotel_a, fake_waha, settings, parsed_logs
) -> None:

    connect_whatsapp(hotel_a, fake_waha, settings)
    seed_default_templates(hotel_a.tenant)
    staff = Client()
    staff.force_login(hotel_a.staff)
    request_id = staff.post(
        "/api/messages/send/",
        {"reservation": str(hotel_a.reservation.public_id), "trigger": "on-stay"},
        HTTP_X_REQUEST_ID="frontdesk-click-1234",
    )["X-Request-ID"]
    assert request_id == "frontdesk-click-1234"
    job = AutomationJob.objects.get()
    logged_by_the_request = len(parsed_logs())

    queue.run_once()
    lines = parsed_logs()[logged_by_the_request:]

    assert {line["event"] for line in lines} >= {"message_sent", "job_finished"}
    for line in lines:
        assert line["job_id"] == str(job.public_id)
        assert line["tenant_id"] == str(hotel_a.tenant.id)
        assert line["reservation_id"] == hotel_a.reservation.pk
        assert line["request_id"] == "frontdesk-click-1234"


def test_a_long_pacing_queue_waits_in_the_queue_not_in_a_sleeping_worker(
    hotel_a, fake_waha, settings
) -> None:
    from whatsapp.models import WahaConfiguration

    job = checked_in(hotel_a, fake_waha, settings)
    settings.WAHA_MIN_GAP_SECONDS, settings.WAHA_MAX_GAP_SECONDS = 30, 45
    # Many sends were just paced: the number is busy for the next five minutes.
    busy_until = timezone.now() + dt.timedelta(minutes=5)
    WahaConfiguration.objects.filter(tenant=hotel_a.tenant).update(last_sent_at=busy_until)

    queue.run_once()

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 0
    assert job.run_at >= busy_until + dt.timedelta(seconds=30)
    assert fake_waha.sent_texts == []
    assert MessageLog.objects.get(direction="outbound").send_started_at is None  # not begun


def test_a_message_deferred_for_pacing_keeps_the_hotels_rate_limit_token(
    hotel_a, fake_waha, settings
) -> None:
    """Only a message that can go now takes a token: one waiting for the number's pacing gap
    must not spend the hotel's rate limit for nothing."""
    from whatsapp import pacing
    from whatsapp.models import WahaConfiguration

    job = checked_in(hotel_a, fake_waha, settings)
    settings.WAHA_MIN_GAP_SECONDS, settings.WAHA_MAX_GAP_SECONDS = 30, 45
    WahaConfiguration.objects.filter(tenant=hotel_a.tenant).update(
        last_sent_at=timezone.now() + dt.timedelta(minutes=5), sends_per_minute=2
    )

    queue.run_once()

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    now = timezone.now()
    assert [pacing.take(hotel_a.tenant, now) for _ in range(2)] == [None, None], "both kept"
