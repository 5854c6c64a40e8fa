"""PMS events arriving out of order: a change stamped older than the one applied last changes
nothing (pushes carry `reservation.updated_at`; adapters that know a modification time pass it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from automation.models import AutomationJob, InboundEvent
from hotel.models import Reservation, ReservationStatus, StatusTransition
from messaging.defaults import seed_default_templates
from pms import webhook as pms_webhook
from pms.adapters.base import Page, PMSGuest, PMSReservation
from pms.adapters.demo import DemoAdapter
from pms.models import PMSConfiguration
from pms.sync import sync_reservations
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import EVENT, django_connected_as, post

pytestmark = pytest.mark.django_db

JAKARTA = dt.timezone(dt.timedelta(hours=7))


def stamped(status: str, hour: int, minute: int = 0, **changes: Any) -> dict:
    """EVENT with `status`, changed by the PMS yesterday at hour:minute (UTC+7)."""
    yesterday = timezone.now().astimezone(JAKARTA) - dt.timedelta(days=1)
    when = yesterday.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return {
        **EVENT,
        "reservation": {
            **EVENT["reservation"],
            "status": status,
            "updated_at": when.isoformat(),
            **changes,
        },
    }


def reservation() -> Reservation:
    return Reservation.objects.get(pms_reservation_id="R-1042")


@pytest.fixture
def secret(hotel_a: factories.Hotel) -> str:
    config = PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    return pms_webhook.rotate_secret(config)


@pytest.fixture
def templates(hotel_a: factories.Hotel) -> None:
    seed_default_templates(hotel_a.tenant)


def test_a_pre_arrival_stamped_before_the_check_in_changes_nothing(
    client: Client, hotel_a, secret, templates
) -> None:
    assert post(client, hotel_a, secret, stamped("pre-arrival", 8)).status_code == 200
    assert post(client, hotel_a, secret, stamped("on-stay", 10)).json()["status"] == "applied"

    late = post(client, hotel_a, secret, stamped("pre-arrival", 9), webhook_id="msg_late")

    assert late.status_code == 200
    assert late.json()["status"] == "ignored" and late.json()["reason"] == "stale"
    assert reservation().status == "on-stay"
    assert list(
        StatusTransition.objects.filter(reservation=reservation())
        .order_by("pk")
        .values_list("from_status", "to_status")
    ) == [("", "pre-arrival"), ("pre-arrival", "on-stay")]
    assert AutomationJob.objects.filter(kind="send_message").count() == 1  # the welcome only
    # The event is kept once: its redelivery is a duplicate, not news.
    again = post(client, hotel_a, secret, stamped("pre-arrival", 9), webhook_id="msg_late")
    assert again.json()["status"] == "duplicate"
    assert InboundEvent.objects.filter(event_id="msg_late").count() == 1


def test_a_later_event_is_applied(client: Client, hotel_a, secret) -> None:
    post(client, hotel_a, secret, stamped("pre-arrival", 8))
    post(client, hotel_a, secret, stamped("on-stay", 10))

    assert post(client, hotel_a, secret, stamped("checked-out", 11)).json()["updated"] == 1
    assert reservation().status == "checked-out"


def test_the_same_news_told_again_later_still_counts_as_the_latest(
    client: Client, hotel_a, secret
) -> None:
    post(client, hotel_a, secret, stamped("on-stay", 8))
    post(client, hotel_a, secret, stamped("on-stay", 10))  # nothing new, but newer

    late = post(client, hotel_a, secret, stamped("pre-arrival", 9))

    assert late.json()["status"] == "ignored"
    assert reservation().status == "on-stay"


def test_an_event_without_a_time_is_applied_as_before(client: Client, hotel_a, secret) -> None:
    post(client, hotel_a, secret, stamped("on-stay", 10))
    unstamped = {**EVENT, "reservation": {**EVENT["reservation"], "status": "checked-out"}}

    assert post(client, hotel_a, secret, unstamped).json()["status"] == "applied"
    assert reservation().status == "checked-out"


@pytest.mark.parametrize(
    ("updated_at", "problem"),
    [
        ("2026-11-30T10:00:00", "timezone"),
        ("yesterday", "updated_at"),
        ((timezone.now() + dt.timedelta(days=1)).isoformat(), "in the future"),
    ],
)
def test_a_bad_updated_at_is_refused_and_stores_nothing(
    client: Client, hotel_a, secret, updated_at: str, problem: str
) -> None:
    body = {**EVENT, "reservation": {**EVENT["reservation"], "updated_at": updated_at}}

    response = post(client, hotel_a, secret, body)

    assert response.status_code == 400 and problem in response.json()["error"]
    assert not InboundEvent.objects.exists()
    assert not Reservation.objects.filter(pms_reservation_id="R-1042").exists()


class OnePage(DemoAdapter):
    """A PMS whose pull returns one reservation, with the modification time it reports."""

    def __init__(self, status: str, changed_at: dt.datetime | None) -> None:
        super().__init__()
        self.record = PMSReservation(
            pms_id="R-1042",
            guest=PMSGuest(pms_id="G-77", first_name="Siti", phone="+6281234560001"),
            status=ReservationStatus(status),
            pms_status=status,
            check_in=dt.date(2026, 12, 1),
            check_out=dt.date(2026, 12, 4),
            booking_code="HX7K2",
            room_number="214",
            source="push",
            changed_at=changed_at,
        )

    def pull_reservations(self, start: dt.date, end: dt.date):  # type: ignore[no-untyped-def]
        yield Page(reservations=[self.record])


def test_a_sync_that_read_the_pms_before_the_last_change_changes_nothing(
    client: Client, hotel_a, secret
) -> None:
    post(client, hotel_a, secret, stamped("on-stay", 10))
    applied = reservation().pms_changed_at
    assert applied is not None

    window = (dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    run = sync_reservations(
        hotel_a.tenant, OnePage("pre-arrival", applied - dt.timedelta(minutes=5)), *window
    )

    assert run.status == "succeeded" and run.updated == 0
    assert reservation().status == "on-stay"
    # A pull that knows no modification time is applied as it always was.
    sync_reservations(hotel_a.tenant, OnePage("checked-out", None), *window)
    assert reservation().status == "checked-out"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_late_older_event_changes_nothing_as_the_app_role(settings) -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        key = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    with django_connected_as(settings.DB_APP_ROLE):
        post(Client(), hotel, key, stamped("pre-arrival", 8))
        post(Client(), hotel, key, stamped("on-stay", 10))
        late = post(Client(), hotel, key, stamped("pre-arrival", 9))
        with acting_for_tenant(hotel.tenant.id):
            status = reservation().status
            transitions = StatusTransition.objects.count()

    assert late.status_code == 200 and late.json()["status"] == "ignored"
    assert status == "on-stay" and transitions == 2
