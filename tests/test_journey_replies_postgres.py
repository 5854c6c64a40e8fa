"""The post-stay follow-up as production runs it: the scheduler and the worker connected as the
worker's role (innbox_worker) under row-level security, the guest's answer through the webhook
as the web app's role (innbox_app), with the real settings (quiet hours, pacing, burst window).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from agent.models import FeedbackFollowUp, FollowUpOutcome, RoomServiceOrder
from automation import queue, scheduler
from automation.models import AutomationJob, JobKind
from hotel.models import FeedbackSource, FeedbackStatus, Reservation, ReservationStatus
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from tests.helpers import django_connected_as, guest_writes
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JAKARTA = ZoneInfo("Asia/Jakarta")


def checked_out(name: str, thank_you_at: dt.datetime | None) -> factories.Hotel:
    """A hotel whose guest checked out of a Deluxe King; the thank-you went at `thank_you_at`
    (None: never) and the feedback form waits."""
    hotel = factories.make_hotel(name)
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        WahaConfiguration.objects.create(
            tenant=hotel.tenant,
            # The webhook finds the hotel by its session: Alpha's is the one guests write to.
            session_name="default" if thank_you_at else f"session-{name.split()[-1].lower()}",
            status=SessionStatus.WORKING,
            status_changed_at=timezone.now() - dt.timedelta(days=30),
        )
        day = (thank_you_at or timezone.now()).astimezone(JAKARTA).date()
        Reservation.objects.filter(pk=hotel.reservation.pk).update(
            status=ReservationStatus.CHECKED_OUT,
            room_type="Deluxe King",
            check_in=day - dt.timedelta(days=3),
            check_out=day - dt.timedelta(days=1),
            feedback_status=FeedbackStatus.PENDING,
        )
        RoomServiceOrder.objects.create(
            tenant=hotel.tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            items=[{"name": "Nasi Goreng", "quantity": 1}],
        )
        if thank_you_at is not None:
            MessageLog.objects.create(
                tenant=hotel.tenant,
                direction=Direction.OUTBOUND,
                guest=hotel.guest,
                reservation=hotel.reservation,
                origin=MessageOrigin.POST_STAY,
                body="Thank you for staying with us!",
                chat_id=hotel.guest.phone_e164.lstrip("+") + "@c.us",
                status=MessageStatus.DELIVERED,
                sent_at=thank_you_at,
            )
    return hotel


def work() -> None:
    while queue.run_once():
        pass


def test_the_worker_writes_the_follow_up_once_and_records_the_guests_answer(
    settings: Any,
) -> None:
    settings.WAHA_BASE_URL = None  # sandbox sends: recorded as sent, nothing leaves
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    thank_you_at = dt.datetime.combine(
        timezone.now().astimezone(JAKARTA).date() - dt.timedelta(days=1), dt.time(10), JAKARTA
    )
    alpha = checked_out("Hotel Alpha", thank_you_at)
    beta = checked_out("Hotel Beta", None)  # its form waits too, but it sent no thank-you
    due = thank_you_at + dt.timedelta(hours=24, minutes=1)

    with django_connected_as(settings.DB_WORKER_ROLE):
        with time_machine.travel(due - dt.timedelta(minutes=30), tick=False):
            scheduler.tick()
            work()
        with time_machine.travel(due, tick=False):
            scheduler.tick()
            scheduler.tick()
            work()
        with time_machine.travel(due + dt.timedelta(hours=1), tick=False):
            scheduler.tick()
            work()

    with acting_for_tenant(alpha.tenant.id):
        [job] = AutomationJob.objects.filter(tenant=alpha.tenant, kind=JobKind.FEEDBACK_FOLLOW_UP)
        [written] = MessageLog.objects.filter(tenant=alpha.tenant, origin=MessageOrigin.AGENT)
        assert written.status == MessageStatus.SENT
        assert "Deluxe King" in written.body and "Nasi Goreng" in written.body
        assert job.payload["result"]["written_by"] == "template"
    with acting_for_tenant(beta.tenant.id):
        beta_jobs = AutomationJob.objects.filter(tenant=beta.tenant)
        assert not beta_jobs.filter(kind=JobKind.FEEDBACK_FOLLOW_UP).exists()

    chat = alpha.guest.phone_e164.lstrip("+") + "@c.us"
    words = "It was great but the AC was loud, 4 stars"
    with (
        time_machine.travel(due + dt.timedelta(hours=3), tick=False),
        django_connected_as(settings.DB_APP_ROLE),
    ):
        assert guest_writes(Client(), chat, words).status_code == 200
    with (
        time_machine.travel(due + dt.timedelta(hours=3, seconds=30), tick=False),
        django_connected_as(settings.DB_WORKER_ROLE),
    ):
        work()

    with acting_for_tenant(alpha.tenant.id):
        stay = Reservation.objects.get(pk=alpha.reservation.pk)
        assert (stay.feedback_status, stay.feedback_rating) == (FeedbackStatus.COMPLETED, 4)
        assert stay.feedback_comments == "It was great but the AC was loud, 4 stars"
        assert stay.feedback_source == FeedbackSource.CHAT
        [follow_up] = FeedbackFollowUp.objects.filter(tenant=alpha.tenant)
        assert follow_up.outcome == FollowUpOutcome.RECORDED
        replies = MessageLog.objects.filter(tenant=alpha.tenant, origin=MessageOrigin.AGENT)
        thanks = replies.latest("pk")
        assert "4 out of 5" in thanks.body
