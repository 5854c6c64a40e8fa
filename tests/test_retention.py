"""Guests whose last stay ended longer ago than the hotel's retention period (24 months unless
the owner says otherwise) are anonymised by a daily purge and by `manage.py
purge_personal_data`; recent guests are untouched and the hotel's counts and ratings stay the
same. `--dry-run` changes nothing and says what it would do."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Avg, Count
from django.test import Client
from django.utils import timezone

from automation import scheduler
from automation.models import AutomationJob, InboundEvent
from compliance import retention
from compliance.models import DataRequest, RequestKind
from compliance.retention import months_before
from conversations.models import Conversation, ConversationNote
from hotel.models import Guest, Reservation
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from pms.sync import sync_reservations
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from tests import factories
from tests.helpers import Person, furnish_guest, texts_of_every_table, where_named

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def ago(months: int, days: int = 0) -> dt.date:
    return months_before(TODAY, months) - dt.timedelta(days=days)


@pytest.fixture
def guests(hotel_a: factories.Hotel) -> dict[str, Person]:
    """One guest who left 25 months ago, one who left 23 months ago."""
    with acting_for_tenant(hotel_a.tenant.id, role="owner"):
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo", is_active=False)
        )
    old = furnish_guest(
        hotel_a, secret, first="Ottoline", last="Ashdown", phone="+6287711110000",
        email="ottoline@example.org", pms_id="701", check_in=ago(25, 3), check_out=ago(25),
    )  # fmt: skip
    # What came in during that stay is as old as the stay: the raw events, a message from
    # their number before Innbox knew it.
    then = timezone.now() - dt.timedelta(days=760)
    with acting_for_tenant(hotel_a.tenant.id):
        InboundEvent.objects.update(received_at=then)
        MessageLog.objects.update(created_at=then)
    recent = furnish_guest(
        hotel_a, secret, first="Rosalind", last="Brackenbury", phone="+6287722220000",
        email="rosalind@example.org", pms_id="702", check_in=ago(23, 3), check_out=ago(23),
    )  # fmt: skip
    # Someone who wrote once, from a number Innbox never matched, 25 months ago.
    with acting_for_tenant(hotel_a.tenant.id):
        stranger = MessageLog.objects.create(
            tenant=hotel_a.tenant,
            direction="inbound",
            body="Do you have rooms? Mortimer Pennywhistle",
            chat_id="6287799990000@c.us",
            status="received",
        )
        MessageLog.objects.filter(pk=stranger.pk).update(
            created_at=timezone.now() - dt.timedelta(days=770)
        )
        chat = Conversation.objects.create(
            tenant=hotel_a.tenant,
            chat_id="6287799990000@c.us",
            phone_e164="+6287799990000",
            contact_name="Mortimer Pennywhistle",
            last_message_at=timezone.now() - dt.timedelta(days=770),
            last_message_preview="Do you have rooms? Mortimer Pennywhistle",
        )
        note = ConversationNote.objects.create(
            tenant=hotel_a.tenant, conversation=chat, body="Mortimer asked about rooms"
        )
        ConversationNote.objects.filter(pk=note.pk).update(
            created_at=timezone.now() - dt.timedelta(days=770)
        )
    return {"old": old, "recent": recent}


STRANGER = ["Mortimer", "Pennywhistle", "6287799990000"]


def statistics(hotel: factories.Hotel) -> dict[str, Any]:
    """What the hotel's reports count: rows of every table, statuses, ratings."""
    with acting_for_tenant(hotel.tenant.id):
        return {
            "guests": Guest.objects.count(),
            "stays": sorted(Reservation.objects.values_list("status", "check_out", "room_number")),
            "messages": sorted(
                MessageLog.objects.values("direction", "status", "origin")
                .annotate(n=Count("pk"))
                .values_list("direction", "status", "origin", "n")
            ),
            "rating": Reservation.objects.aggregate(average=Avg("feedback_rating"))["average"],
        }


def every_text() -> list[tuple[str, str, str]]:
    return sorted(texts_of_every_table())


def test_the_purge_anonymises_guests_past_retention_everywhere_and_keeps_the_counts(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel, guests: dict[str, Person]
) -> None:
    before, elsewhere = statistics(hotel_a), statistics(hotel_b)
    out = io.StringIO()

    call_command("purge_personal_data", stdout=out)

    assert where_named(guests["old"].names) == []
    assert where_named(STRANGER) == []
    assert len(where_named(guests["recent"].names)) >= 6  # untouched
    assert statistics(hotel_a) == before and statistics(hotel_b) == elsewhere
    with acting_for_tenant(hotel_a.tenant.id):
        assert Guest.objects.get(pk=guests["old"].guest.pk).anonymised_at is not None
        assert Guest.objects.get(pk=guests["recent"].guest.pk).anonymised_at is None
        run = DataRequest.objects.get(tenant=hotel_a.tenant, kind=RequestKind.RETENTION_PURGE)
    assert run.details["guests"] == 1 and run.requested_by is None
    assert "Hotel Alpha" in out.getvalue() and "anonymised 1 guests" in out.getvalue()


def test_the_dry_run_changes_nothing_and_says_what_it_would_do(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel, guests: dict[str, Person]
) -> None:
    with acting_for_tenant(hotel_a.tenant.id):  # two old jobs of no stay; one quotes a number
        for error in ("", "sync failed for +6287799990000"):
            AutomationJob.objects.create(
                tenant=hotel_a.tenant,
                kind="pms_sync",
                status="failed",
                run_at=timezone.now(),
                last_error=error,
                error_history=[{"error": error}] if error else [],
            )
        AutomationJob.objects.filter(reservation__isnull=True).update(
            created_at=timezone.now() - dt.timedelta(days=800)
        )
    before = every_text()
    out = io.StringIO()

    call_command("purge_personal_data", "--dry-run", stdout=out)

    assert every_text() == before
    assert not DataRequest.objects.exists()
    said = out.getvalue()
    line = next(line for line in said.splitlines() if "Hotel Alpha" in line)
    assert line.startswith("[dry run] Hotel Alpha")
    assert f"stays ended before {months_before(TODAY, 24).isoformat()}" in line
    # The old guest: their profile, 3 messages (one unmatched) and the stranger's, an order, a
    # request, a feedback, a consent note, a job's error, the raw events naming them.
    assert "would anonymise 1 guests" in line
    # Jobs: the guest's, and the old one whose error quotes a number (not the one with none).
    for table in ("guest 1", "messages 4", "room_service_orders 1", "webhook_events 2"):
        assert table in line
    for table in ("automation_jobs 2", "consent_history 1", "feedback 1"):
        assert table in line
    assert "Hotel Bravo" in said and "nothing to anonymise" in said


def test_a_longer_retention_keeps_the_guest(
    hotel_a: factories.Hotel, guests: dict[str, Person]
) -> None:
    Tenant.objects.filter(pk=hotel_a.tenant.pk).update(retention_months=36)
    call_command("purge_personal_data", stdout=io.StringIO())
    assert len(where_named(guests["old"].names)) >= 6


def test_the_scheduler_purges_once_a_day(
    hotel_a: factories.Hotel, guests: dict[str, Person]
) -> None:
    now = timezone.now()
    with time_machine.travel(now, tick=False) as traveller:
        scheduler.tick()
        assert where_named(guests["old"].names) == []
        traveller.shift(dt.timedelta(hours=1))
        scheduler.tick()
        runs = DataRequest.objects.filter(tenant=hotel_a.tenant, kind=RequestKind.RETENTION_PURGE)
        assert runs.count() == 1
        traveller.shift(dt.timedelta(days=1))
        scheduler.tick()
        assert runs.count() == 2


def test_a_big_backlog_is_purged_in_batches_tick_after_tick(
    hotel_a: factories.Hotel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("compliance.retention.BATCH", 2)
    with acting_for_tenant(hotel_a.tenant.id):
        for n in range(5):
            guest = Guest.objects.create(tenant=hotel_a.tenant, first_name=f"Backlog{n}")
            Reservation.objects.create(
                tenant=hotel_a.tenant, guest=guest, pms_reservation_id=f"B{n}",
                check_in=ago(30, 2), check_out=ago(30), status="checked-out",
            )  # fmt: skip
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for _ in range(3):
            scheduler.tick()
    assert where_named([f"Backlog{n}" for n in range(5)]) == []


def test_a_known_stay_sent_again_does_not_bring_a_purged_guest_back_but_a_new_one_does(
    hotel_a: factories.Hotel, guests: dict[str, Person]
) -> None:
    call_command("purge_personal_data", stdout=io.StringIO())
    old = factories.pms_stay("R-701", "G-701", phone="+6287711110000", name="Ottoline")
    with acting_for_tenant(hotel_a.tenant.id):
        old = Reservation.objects.get(pms_reservation_id="R-701")
    again = factories.pms_stay("R-701", "G-701", phone="+6287711110000", name="Ottoline")
    again = type(again)(**{**again.__dict__, "check_in": old.check_in, "check_out": old.check_out})
    sync_reservations(hotel_a.tenant, factories.StaysAdapter([again]), TODAY, TODAY)
    assert where_named(["Ottoline"]) == []

    booking = factories.pms_stay("R-799", "G-701", phone="+6287711110000", name="Ottoline")
    sync_reservations(hotel_a.tenant, factories.StaysAdapter([booking]), TODAY, TODAY)
    with acting_for_tenant(hotel_a.tenant.id):
        guest = Guest.objects.get(pms_guest_id="G-701")
    assert guest.first_name == "Ottoline" and guest.anonymised_at is None


# --- the owner's setting -----------------------------------------------------------------------


def test_the_owner_sets_the_retention_period_and_the_opt_out_line_on_the_hotel_page(
    hotel_a: factories.Hotel,
) -> None:
    client = Client()
    client.force_login(hotel_a.owner)
    page = client.get("/settings/hotel/").content.decode()
    assert 'name="retention_months" value="24"' in page

    saved = client.post(
        "/settings/hotel/", {"section": "personal-data", "retention_months": "36"}, follow=True
    )

    assert "Personal data settings saved." in saved.content.decode()
    tenant = Tenant.objects.get(pk=hotel_a.tenant.pk)
    assert (tenant.retention_months, tenant.opt_out_line) == (36, False)


@pytest.mark.parametrize("months", ["0", "121", "two years", ""])
def test_a_retention_period_out_of_range_is_refused(hotel_a: factories.Hotel, months: str) -> None:
    client = Client()
    client.force_login(hotel_a.owner)
    response = client.post(
        "/settings/hotel/",
        {"section": "personal-data", "retention_months": months, "opt_out_line": "on"},
    )
    assert response.status_code == 400
    assert Tenant.objects.get(pk=hotel_a.tenant.pk).retention_months == 24


def test_staff_cannot_change_the_retention_period(hotel_a: factories.Hotel) -> None:
    client = Client()
    client.force_login(hotel_a.staff)
    response = client.post(
        "/settings/hotel/", {"section": "personal-data", "retention_months": "1"}
    )
    assert response.status_code == 403  # the "Owners only" page
    assert Tenant.objects.get(pk=hotel_a.tenant.pk).retention_months == 24


def test_the_settings_read_in_indonesian(hotel_a: factories.Hotel) -> None:
    hotel_a.owner.ui_language = "id"
    hotel_a.owner.save(update_fields=["ui_language"])
    client = Client()
    client.force_login(hotel_a.owner)
    html = client.get("/settings/hotel/").content.decode()
    assert "Data pribadi tamu" in html


def test_months_before_keeps_to_the_calendar() -> None:
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2028, 3, 31), 1) == dt.date(2028, 2, 29)
    assert months_before(dt.date(2026, 12, 6), 24) == dt.date(2024, 12, 6)
    assert months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_a_failing_purge_stops_nothing_else_the_scheduler_does(
    hotel_a: factories.Hotel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the purge")

    ran: list[Tenant] = []

    def next_task(tenant: Tenant, now: dt.datetime) -> int:
        ran.append(tenant)
        return 1

    monkeypatch.setattr("compliance.retention.purge", broken)
    monkeypatch.setattr(scheduler, "PERIODIC_TASKS", [retention.scheduled_purge, next_task])

    assert scheduler.tick() == 1
    assert ran == [hotel_a.tenant]
    assert not DataRequest.objects.exists()  # not recorded: the next tick tries again
