"""What one PMS event and one sent message cost the database, so that it cannot creep back up:
on PostgreSQL, connected as the web app's role (innbox_app) for the webhook and the worker's role
(innbox_worker) for the worker, with the real settings (quiet hours, pacing, the rate limit).

What is counted: every statement Django sends on the connection, as CaptureQueriesContext sees
it. That includes the transaction control psycopg sends for Django (Django logs BEGIN when it
leaves autocommit, which is when psycopg starts the transaction, and COMMIT / ROLLBACK), every
SAVEPOINT / RELEASE, and the RLS context's set_config statements; the tests check that BEGIN and
COMMIT are indeed among what is counted. Not counted: the statements of the test's own set-up,
and nothing psycopg could send on its own (it sends none beyond these).

Budgets (issue 19): at most 8 statements per ingested event on every path; at most 20 per
dispatched message, in at most three short transactions: the one before the send (its log row
written there, before WAHA is called), the lease fence (one statement, its own transaction) and
the one after the send.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, InboundEvent, JobKind, JobStatus
from hotel.models import Guest, Reservation, StatusTransition
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import MIDDAY_IN_JAKARTA, connect_whatsapp, django_connected_as, post
from whatsapp.waha import WahaClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INGEST_BUDGET = 8
DISPATCH_BUDGET = 20


@contextmanager
def counted() -> Iterator[list[str]]:
    """The statements sent while inside, as SQL text (BEGIN, COMMIT... included)."""
    with CaptureQueriesContext(connection) as captured:
        statements: list[str] = []
        yield statements
    statements.extend(query["sql"] for query in captured.captured_queries)


def event(reservation_id: str, status: str, day: dt.date, **extra: Any) -> dict[str, Any]:
    return {
        "type": "reservation.upserted",
        "reservation": {
            "id": reservation_id,
            "status": status,
            "check_in": day.isoformat(),
            "check_out": (day + dt.timedelta(days=2)).isoformat(),
            "room_number": "214",
            "guest": {
                "id": f"G-{reservation_id}",
                "first_name": "Siti",
                "phone": "+6281234560001",
                "language": "id",
            },
            **extra,
        },
    }


@pytest.fixture
def pushing() -> tuple[factories.Hotel, str]:
    """A hotel whose PMS pushes (its welcome template on), and its webhook secret."""
    hotel = factories.make_hotel("Hotel Alpha")
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    return hotel, secret


def pushed(hotel: factories.Hotel, secret: str, body: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Post one signed event as the web app's role; its answer and the statements it cost."""
    with django_connected_as(settings.DB_APP_ROLE):
        client = Client()
        with counted() as statements:
            response = post(client, hotel, secret, body, **kwargs)
    return response, statements


def test_budget_counts_transaction_control(pushing) -> None:
    """The counting sees BEGIN and COMMIT (and ROLLBACK on a refusal): the budget is honest."""
    hotel, secret = pushing
    applied, statements = pushed(hotel, secret, event("R-1", "pre-arrival", dt.date.today()))
    assert applied.status_code == 200
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    refused, statements = pushed(hotel, secret, {"type": "nonsense"})
    assert refused.status_code == 400
    assert statements[0] == "BEGIN" and statements[-1] == "ROLLBACK"


def test_each_ingest_path_stays_within_eight_statements(pushing) -> None:
    hotel, secret = pushing
    day = dt.date.today()

    booked, cost_new = pushed(hotel, secret, event("R-1", "pre-arrival", day), webhook_id="e-1")
    assert booked.json()["created"] == 1
    assert Guest.objects.filter(pms_guest_id="G-R-1").count() == 1

    arrived, cost_update = pushed(
        hotel, secret, event("R-1", "on-stay", day, updated_at=timezone.now().isoformat())
    )
    assert arrived.json()["transitions"] == 1
    assert AutomationJob.objects.filter(kind=JobKind.SEND_MESSAGE).count() == 1  # the welcome

    again, cost_duplicate = pushed(
        hotel, secret, event("R-1", "pre-arrival", day), webhook_id="e-1"
    )
    assert again.json() == {"status": "duplicate"}

    old_news = event("R-1", "pre-arrival", day, updated_at="2020-01-01T00:00:00+00:00")
    stale, cost_stale = pushed(hotel, secret, old_news)
    assert stale.json()["reason"] == "stale"
    assert Reservation.objects.get(pms_reservation_id="R-1").status == "on-stay"

    events_before = InboundEvent.objects.count()
    forged, cost_forged = pushed(hotel, secret, event("R-2", "pre-arrival", day), signature="v1,x")
    malformed, cost_malformed = pushed(hotel, secret, {"type": "reservation.upserted"})
    unknown = SimpleNamespace(tenant=SimpleNamespace(public_id=uuid.uuid4()))
    nobody, cost_unknown = pushed(unknown, secret, event("R-3", "pre-arrival", day))
    assert (forged.status_code, malformed.status_code, nobody.status_code) == (401, 400, 404)
    assert InboundEvent.objects.count() == events_before  # a refusal leaves nothing
    assert not Reservation.objects.filter(pms_reservation_id__in=["R-2", "R-3"]).exists()

    costs = {
        "new reservation": len(cost_new),
        "update that queues a message": len(cost_update),
        "duplicate redelivery": len(cost_duplicate),
        "stale event": len(cost_stale),
        "bad signature": len(cost_forged),
        "malformed body": len(cost_malformed),
        "unknown hotel": len(cost_unknown),
    }
    assert all(cost <= INGEST_BUDGET for cost in costs.values()), costs
    # The RLS context is set once per event, with the hotel's lookup, and never read back.
    for statements in (cost_new, cost_update, cost_duplicate, cost_stale):
        assert sum("set_config" in sql for sql in statements) == 1
        assert not any("current_setting" in sql or "SAVEPOINT" in sql for sql in statements)


def add_jobs(hotel: factories.Hotel, count: int) -> None:
    """`count` more finished send jobs of the hotel's history, written in bulk."""
    now = timezone.now()
    with acting_for_tenant(hotel.tenant.id):
        offset = AutomationJob.objects.count()
        AutomationJob.objects.bulk_create(
            (
                AutomationJob(
                    tenant=hotel.tenant,
                    kind=JobKind.SEND_MESSAGE,
                    status=JobStatus.SUCCEEDED,
                    idempotency_key=f"history:{offset + n}:on-stay",
                    payload={"reservation": hotel.reservation.pk, "trigger": "on-stay"},
                    reservation=hotel.reservation,
                    run_at=now,
                    finished_at=now,
                )
                for n in range(count)
            ),
            batch_size=2_000,
        )


def test_ingest_costs_the_same_with_10_or_10000_earlier_jobs(pushing) -> None:
    hotel, secret = pushing
    day = dt.date.today()

    def check_in(reservation_id: str) -> list[str]:
        pushed(hotel, secret, event(reservation_id, "pre-arrival", day))
        answer, statements = pushed(hotel, secret, event(reservation_id, "on-stay", day))
        assert answer.json()["transitions"] == 1
        return statements

    add_jobs(hotel, 10)
    few = check_in("R-few")
    add_jobs(hotel, 9_990)
    assert AutomationJob.objects.filter(tenant=hotel.tenant).count() == 10_001
    many = check_in("R-many")

    assert len(few) == len(many), (few, many)
    assert AutomationJob.objects.filter(reservation__pms_reservation_id="R-many").count() == 1


def test_a_new_booking_written_in_one_statement_keeps_every_row_linked(pushing) -> None:
    """The one-statement write (guest, stay, transition together) links them right."""
    hotel, secret = pushing
    pushed(hotel, secret, event("R-9", "pre-arrival", dt.date.today()))
    stay = Reservation.objects.select_related("guest").get(pms_reservation_id="R-9")
    assert stay.guest.pms_guest_id == "G-R-9" and stay.tenant_id == hotel.tenant.id
    assert list(
        StatusTransition.objects.filter(reservation=stay).values_list("to_status", flat=True)
    ) == ["pre-arrival"]


# --- dispatch ------------------------------------------------------------------------------


def queued_welcome(hotel: factories.Hotel, secret: str, fake: Any, settings: Any) -> AutomationJob:
    """A guest checks in today: one welcome is queued."""
    settings.APP_URL = "http://127.0.0.1:9"
    connect_whatsapp(hotel, fake, settings)
    today = MIDDAY_IN_JAKARTA.date()
    with django_connected_as(settings.DB_APP_ROLE):
        post(Client(), hotel, secret, event("R-1", "pre-arrival", today))
        post(Client(), hotel, secret, event("R-1", "on-stay", today))
    return AutomationJob.objects.get(kind=JobKind.SEND_MESSAGE)


def test_a_message_is_sent_in_three_short_transactions_within_twenty_statements(
    pushing, fake_waha, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotel, secret = pushing
    with time_machine.travel(MIDDAY_IN_JAKARTA, tick=True):
        job = queued_welcome(hotel, secret, fake_waha, settings)
        AutomationJob.objects.filter(pk=job.pk).update(run_at=timezone.now())
        # When WAHA is called, the log row of the attempt is already committed: looked at from
        # another connection, outside the worker's.
        database = connection.settings_dict
        seen_at_the_call: list[tuple[str, bool]] = []
        real_send = WahaClient.send_text

        def look_then_send(self: WahaClient, *args: Any, **kwargs: Any) -> str | None:
            with psycopg.connect(
                host=database["HOST"],
                port=database["PORT"],
                user="postgres",
                dbname=database["NAME"],
            ) as other:
                row = other.execute(
                    "SELECT status, send_started_at IS NOT NULL FROM message_logs WHERE job_id = %s",
                    [job.pk],
                ).fetchone()
            seen_at_the_call.append(row)
            return real_send(self, *args, **kwargs)

        monkeypatch.setattr(WahaClient, "send_text", look_then_send)
        with django_connected_as(settings.DB_WORKER_ROLE), counted() as statements:
            assert queue.run_once() == 1

    assert len(fake_waha.sent_texts) == 1
    assert seen_at_the_call == [("queued", True)]
    message = MessageLog.objects.get(job=job)
    assert message.status == "sent" and message.waha_message_id == fake_waha.sent_texts[0]["id"]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED

    assert len(statements) <= DISPATCH_BUDGET, statements
    transactions = statements.count("BEGIN")
    assert transactions == statements.count("COMMIT") == 2, statements
    # Outside those two, the only write is the lease fence, one statement on its own.
    inside, writes_outside = False, []
    for sql in statements:
        if sql == "BEGIN":
            inside = True
        elif sql == "COMMIT":
            inside = False
        elif not inside and sql.startswith(("UPDATE", "INSERT", "DELETE")):
            writes_outside.append(sql)
    assert len(writes_outside) == 1 and '"locked_until"' in writes_outside[0]
    assert not any("current_setting" in sql or "SAVEPOINT" in sql for sql in statements)
