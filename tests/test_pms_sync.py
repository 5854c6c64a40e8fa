"""The demo PMS and the sync service: idempotent, one transition per change, bounded queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotel.models import Guest, Reservation, ReservationStatus, StatusTransition
from pms.adapters.base import Page, PMSGuest, PMSReservation
from pms.adapters.demo import DemoAdapter
from pms.models import SyncStatus
from pms.sync import sync_reservations
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WINDOW = (TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=45))


@pytest.fixture
def tenant(hotel_a: factories.Hotel):
    return hotel_a.tenant


def test_the_demo_hotel_has_forty_rooms_and_stays_in_every_status() -> None:
    reservations = [
        r for page in DemoAdapter().pull_reservations(*WINDOW) for r in page.reservations
    ]

    assert 300 <= len(reservations) <= 900
    assert {r.status for r in reservations} == set(ReservationStatus)
    assert len({r.room_number for r in reservations}) == 40
    assert len({r.guest.pms_id for r in reservations}) < len(reservations), "some guests return"
    assert any(r.guest.tier == "Gold" for r in reservations)
    assert {r.guest.language for r in reservations} >= {"id", "en", "ja", "de"}
    assert all(r.guest.phone.startswith("+") for r in reservations)


def test_the_demo_is_deterministic() -> None:
    first = [r for page in DemoAdapter().pull_reservations(*WINDOW) for r in page.reservations]
    second = [r for page in DemoAdapter().pull_reservations(*WINDOW) for r in page.reservations]
    assert first == second


def test_a_first_sync_creates_everything_with_valid_phones(tenant) -> None:
    run = sync_reservations(tenant, DemoAdapter(), *WINDOW)

    assert run.status == SyncStatus.SUCCEEDED and run.pages >= 2
    assert (
        run.created
        == Reservation.objects.filter(tenant=tenant, pms_reservation_id__startswith="DR").count()
    )
    assert run.updated == run.unchanged == 0
    guests = Guest.objects.filter(tenant=tenant, pms_guest_id__startswith="DG")
    assert guests.count() == len({g for g in guests.values_list("pms_guest_id", flat=True)})
    assert not guests.filter(phone_e164="").exists()


def test_the_same_sync_twice_changes_nothing_the_second_time(tenant) -> None:
    sync_reservations(tenant, DemoAdapter(), *WINDOW)
    transitions = StatusTransition.objects.count()
    guests = Guest.objects.count()

    again = sync_reservations(tenant, DemoAdapter(), *WINDOW)

    assert (again.created, again.updated, again.transitions) == (0, 0, 0)
    assert again.unchanged > 300
    assert StatusTransition.objects.count() == transitions
    assert Guest.objects.count() == guests, "a re-sync never duplicates a guest"


def test_a_changed_status_records_exactly_one_transition(tenant) -> None:
    adapter = DemoAdapter()
    sync_reservations(tenant, adapter, *WINDOW)
    before = {r.pms_reservation_id: r.status for r in Reservation.objects.filter(tenant=tenant)}

    tomorrow = DemoAdapter(credentials=adapter.advance(1))
    run = sync_reservations(tenant, tomorrow, *WINDOW)

    after = {r.pms_reservation_id: r.status for r in Reservation.objects.filter(tenant=tenant)}
    changed = {pms_id for pms_id in before if before[pms_id] != after[pms_id]}
    assert changed, "a day later, someone arrived or left"
    recorded = StatusTransition.objects.filter(sync_run__public_id=run.public_id)
    assert sorted(recorded.values_list("reservation__pms_reservation_id", flat=True)) == sorted(
        changed
    )
    for transition in recorded:
        assert transition.from_status == before[transition.reservation.pms_reservation_id]
        assert transition.to_status == after[transition.reservation.pms_reservation_id]


def test_queries_grow_with_pages_not_rows(tenant) -> None:
    def reservations(count: int, offset: int = 0) -> list[PMSReservation]:
        return [
            PMSReservation(
                pms_id=f"R{offset + n}",
                guest=PMSGuest(pms_id=f"G{offset + n}", first_name="A", phone="+6281234567890"),
                status=ReservationStatus.PRE_ARRIVAL,
                pms_status="booked",
                check_in=TODAY,
                check_out=TODAY + dt.timedelta(days=2),
            )
            for n in range(count)
        ]

    class OnePage(DemoAdapter):
        def __init__(self, rows: int) -> None:
            super().__init__()
            self.rows = rows

        def pull_reservations(self, start, end):
            yield Page(reservations=reservations(self.rows))

    with CaptureQueriesContext(connection) as small:
        sync_reservations(tenant, OnePage(10), *WINDOW)
    with CaptureQueriesContext(connection) as large:
        sync_reservations(tenant, OnePage(400), *WINDOW)  # 10 known + 390 new, one page
    # Row-by-row would be hundreds more; bulk writes only split into the database's batch size.
    assert len(large) - len(small) < 40, (len(small), len(large))


def test_a_failing_pms_leaves_a_failed_run_with_the_reason(tenant) -> None:
    from innbox.integrations import IntegrationError

    class Broken(DemoAdapter):
        def pull_reservations(self, start, end):
            raise IntegrationError("The PMS refused the access token (401)", retryable=False)
            yield  # pragma: no cover

    run = sync_reservations(tenant, Broken(), *WINDOW)

    assert run.status == SyncStatus.FAILED and "401" in run.error
    assert run.finished_at is not None


def test_a_later_page_failing_keeps_the_earlier_pages_and_says_so(tenant) -> None:
    from innbox.integrations import IntegrationError

    class FailsOnPageTwo(DemoAdapter):
        def pull_reservations(self, start, end):
            pages = super().pull_reservations(start, end)
            yield next(pages)
            raise IntegrationError("connection reset on page 2", retryable=True)

    run = sync_reservations(tenant, FailsOnPageTwo(), *WINDOW)

    assert run.status == SyncStatus.FAILED and run.pages == 1 and run.created == 100
    assert (
        Reservation.objects.filter(tenant=tenant, pms_reservation_id__startswith="DR").count()
        == 100
    )


def test_an_unexpected_error_still_ends_the_run(tenant) -> None:
    class Buggy(DemoAdapter):
        def pull_reservations(self, start, end):
            raise ZeroDivisionError
            yield  # pragma: no cover

    run = sync_reservations(tenant, Buggy(), *WINDOW)
    assert run.status == SyncStatus.FAILED and run.finished_at is not None


def test_amounts_with_many_decimals_are_unchanged_the_second_time(tenant) -> None:
    from decimal import Decimal

    class Precise(DemoAdapter):
        def pull_reservations(self, start, end):
            yield Page(
                reservations=[
                    PMSReservation(
                        pms_id="P1",
                        guest=PMSGuest(pms_id="PG1"),
                        status=ReservationStatus.PRE_ARRIVAL,
                        pms_status="1",
                        check_in=TODAY,
                        check_out=TODAY,
                        amount=Decimal("2727.272727"),
                    )
                ]
            )

    sync_reservations(tenant, Precise(), *WINDOW)
    again = sync_reservations(tenant, Precise(), *WINDOW)
    assert (again.updated, again.unchanged) == (0, 1)


# --- phone numbers WhatsApp can't use ----------------------------------------------------------


def test_a_rejected_phone_is_kept_as_sent_flagged_and_counted_once(tenant) -> None:
    rejected = "12345"  # libphonenumber: not a number anywhere
    pms = factories.StaysAdapter(
        [
            factories.pms_stay("Q1", "QG1", phone=rejected),
            factories.pms_stay("Q2", "QG2", phone="0812-3456-7890"),
        ],
        [factories.pms_stay("Q3", "QG1", phone=rejected)],  # the same guest, on the next page
    )

    run = sync_reservations(tenant, pms, *WINDOW)

    assert run.status == SyncStatus.SUCCEEDED and run.created == 3
    assert run.unusable_phones == 1
    flagged = Guest.objects.get(tenant=tenant, pms_guest_id="QG1")
    assert (flagged.phone_raw, flagged.phone_e164, flagged.phone_unusable) == (rejected, "", True)
    fine = Guest.objects.get(tenant=tenant, pms_guest_id="QG2")
    assert (fine.phone_raw, fine.phone_e164) == ("0812-3456-7890", "+6281234567890")
    assert not fine.phone_unusable


def test_a_corrected_phone_clears_the_flag(tenant) -> None:
    sync_reservations(
        tenant, factories.StaysAdapter([factories.pms_stay("Q1", "QG1", phone="12345")]), *WINDOW
    )

    fixed = factories.StaysAdapter([factories.pms_stay("Q1", "QG1", phone="+6281234567890")])
    run = sync_reservations(tenant, fixed, *WINDOW)

    guest = Guest.objects.get(tenant=tenant, pms_guest_id="QG1")
    assert (guest.phone_e164, guest.phone_unusable, run.unusable_phones) == (
        "+6281234567890",
        False,
        0,
    )


def test_a_number_the_guest_wrote_from_stays_when_the_pms_has_none_usable(tenant) -> None:
    sync_reservations(
        tenant, factories.StaysAdapter([factories.pms_stay("Q1", "QG1", phone="12345")]), *WINDOW
    )
    # The guest wrote through their stay's WhatsApp link from +6287700001234.
    Guest.objects.filter(tenant=tenant, pms_guest_id="QG1").update(
        phone_e164="+6287700001234", whatsapp_chat_id="6287700001234@c.us"
    )

    run = sync_reservations(
        tenant, factories.StaysAdapter([factories.pms_stay("Q1", "QG1", phone="12345")]), *WINDOW
    )

    guest = Guest.objects.get(tenant=tenant, pms_guest_id="QG1")
    assert (guest.phone_e164, guest.phone_raw) == ("+6287700001234", "12345")
    assert not guest.phone_unusable and run.unusable_phones == 0


@pytest.mark.parametrize("amount", ["12345678901", "1e30", "NaN", "-Infinity"])
def test_an_amount_the_column_cannot_hold_is_left_out_and_the_page_still_syncs(
    hotel_a: factories.Hotel, amount: str
) -> None:
    from decimal import Decimal

    absurd = dataclasses.replace(factories.pms_stay("A1", "AG1"), amount=Decimal(amount))
    fine = dataclasses.replace(factories.pms_stay("A2", "AG2"), amount=Decimal("1250000.5"))

    run = sync_reservations(hotel_a.tenant, factories.StaysAdapter([absurd, fine]), *WINDOW)

    assert run.status == SyncStatus.SUCCEEDED, run.error
    stored = dict(
        Reservation.objects.filter(
            tenant=hotel_a.tenant, pms_reservation_id__in=["A1", "A2"]
        ).values_list("pms_reservation_id", "amount")
    )
    assert stored == {"A1": None, "A2": Decimal("1250000.50")}


def test_a_sync_whose_job_was_taken_over_stops_before_the_next_page(
    hotel_a: factories.Hotel,
) -> None:
    """A long sync renews its job's lease page by page; once another worker holds the job, this
    one stops instead of syncing the same hotel twice at once."""
    pages = factories.StaysAdapter(
        [factories.pms_stay("T1", "TG1")], [factories.pms_stay("T2", "TG2")]
    )
    answers = iter([True, False])

    run = sync_reservations(hotel_a.tenant, pages, *WINDOW, still_ours=lambda: next(answers))

    assert (run.status, run.pages) == (SyncStatus.FAILED, 1)
    assert "another worker" in run.error
    assert Reservation.objects.filter(tenant=hotel_a.tenant, pms_reservation_id="T2").count() == 0


def test_the_sync_job_renews_its_lease_page_by_page(hotel_a: factories.Hotel) -> None:
    from automation import queue
    from automation.models import AutomationJob, JobKind
    from pms.jobs import run_pms_sync
    from pms.models import PMSConfiguration

    PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    job = queue.enqueue(hotel_a.tenant, JobKind.PMS_SYNC, {"trigger": "manual"})
    queue.claim_due_jobs(worker="slow-worker")
    # The worker's lease ran out during an earlier page and another worker claimed the job.
    AutomationJob.objects.filter(pk=job.pk).update(locked_by="other-worker")

    job.refresh_from_db()
    job.locked_by = "slow-worker"

    with pytest.raises(Exception, match="another worker"):
        run_pms_sync(job, hotel_a.tenant)
