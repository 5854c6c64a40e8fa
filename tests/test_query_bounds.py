"""Pages cost the same number of queries with a few rows or many: the message log, the automation
jobs, the feedback list and a reservation's page (its messages and scheduled automations)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation.models import AutomationJob, JobKind, JobStatus
from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tests import factories

pytestmark = pytest.mark.django_db


def add_rows(hotel: factories.Hotel, count: int) -> None:
    """`count` more of everything these pages list: guests with a stay, a message, a job and a
    feedback answer each, plus messages and jobs on the hotel's own reservation."""
    tenant, offset = hotel.tenant, Guest.objects.filter(tenant=hotel.tenant).count()
    with acting_for_tenant(tenant.id):
        guests = Guest.objects.bulk_create(
            Guest(tenant=tenant, first_name="Guest", last_name=str(offset + n))
            for n in range(count)
        )
        stays = Reservation.objects.bulk_create(
            Reservation(
                tenant=tenant,
                guest=guest,
                pms_reservation_id=f"Q{offset}-{n}",
                check_in=dt.date(2026, 1, 1),
                check_out=dt.date(2026, 1, 3),
                status="checked-out",
                feedback_status="completed",
                feedback_rating=4,
                feedback_submitted_at=timezone.now(),
            )
            for n, guest in enumerate(guests)
        )
        for reservation in [*stays, *([hotel.reservation] * count)]:
            MessageLog.objects.create(
                tenant=tenant,
                direction=Direction.OUTBOUND,
                guest=reservation.guest,
                reservation=reservation,
                origin=MessageOrigin.MANUAL,
                body="Hello",
                status=MessageStatus.SENT,
            )
        AutomationJob.objects.bulk_create(
            AutomationJob(
                tenant=tenant,
                kind=JobKind.SEND_MESSAGE,
                status=JobStatus.DEAD,
                run_at=timezone.now(),
                reservation=reservation,
                payload={"reservation": reservation.pk, "trigger": "on-stay"},
                error_history=[{"attempt": 1, "at": "2026-11-30T10:00", "error": "x"}],
            )
            for reservation in [*stays, *([hotel.reservation] * count)]
        )


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    ["/messages/", "/automation/", "/automation/?state=dead", "/feedback/", "reservation"],
)
def test_it_costs_the_same_queries_for_3_or_40_rows(hotel_a: factories.Hotel, url: str) -> None:
    staff = Client()
    staff.force_login(hotel_a.staff)
    if url == "reservation":
        url = f"/reservations/{hotel_a.reservation.public_id}/"
    add_rows(hotel_a, 3)
    staff.get(url)  # warm the session and caches alike for both counts
    few = queries_for(staff, url)
    add_rows(hotel_a, 37)
    many = queries_for(staff, url)
    assert few == many, f"{url}: {few} queries with 3 rows, {many} with 40"
