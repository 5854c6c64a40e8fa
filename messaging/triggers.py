"""Status transitions become jobs: the trigger engine.

Called inside the same transaction that stored the transitions (a sync page or a pushed event),
so a crash loses neither. One automated message per guest, trip and trigger: the idempotency key
`trip:<guest id>:<check-in>:<check-out>:<trigger>` (unique per hotel) makes a duplicate event, a
re-sync, two racing workers, or the second room of a two-room booking a no-op. Jobs written
before trips existed carry `<reservation id>:<trigger>`; they stay valid, and a trip that has
one gets no second job.

A reservation seen for the first time (a transition from nothing) is no check-in: connecting a
PMS must not greet every guest already in the house. It may be a new booking, though: see
new_bookings for when it gets the booking confirmation. Transitions to on-stay send the welcome
at check-in (or the hours after it the hotel chose, messaging.journey); the other touchpoints
are timed by the scheduler (messaging.schedule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, DateTimeField, Exists, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob, JobKind, JobStatus
from hotel.models import Reservation, ReservationStatus, StatusTransition
from innbox.db_batch import Batch
from innbox.logs import current_request_id
from messaging.models import (
    MAX_ON_STAY_DELAY_HOURS,
    JourneySettings,
    MessageTemplate,
    Trigger,
)
from pms.models import PMSConfiguration, SyncRun, SyncStatus
from tenancy.models import Tenant

SEND_AT_ONCE: dict[str, str] = {ReservationStatus.ON_STAY.value: Trigger.ON_STAY.value}
CANCELLING = {ReservationStatus.CANCELLED.value, ReservationStatus.NO_SHOW.value}
TRIP_PREFIX = "trip:"
WAITING = [JobStatus.QUEUED, JobStatus.RETRYING]


def send_key(reservation: Reservation, trigger: str) -> str:
    """The reason a message goes out, shared by the rooms a guest booked for the same dates."""
    return (
        f"{TRIP_PREFIX}{reservation.guest_id}:{reservation.check_in.isoformat()}:"
        f"{reservation.check_out.isoformat()}:{trigger}"
    )


def per_reservation_key(reservation_id: int, trigger: str) -> str:
    """The key of jobs written before trips shared one message."""
    return f"{reservation_id}:{trigger}"


def is_trip_job(job: AutomationJob) -> bool:
    return (job.idempotency_key or "").startswith(TRIP_PREFIX)


def queue_sends(
    tenant: Tenant,
    trigger: str,
    reservations: Iterable[Reservation],
    run_at: Callable[[Reservation], dt.datetime],
    *,
    only_if_active: bool = False,
) -> int:
    """One send job per trip for `trigger`, unless the trip has one (under either key); the
    unique key turns a concurrent repeat into nothing. Returns how many jobs are new.

    One statement, whatever the hotel's history: each job is inserted under the condition that
    its trip has none (INSERT ... SELECT ... WHERE NOT EXISTS, innbox.db_batch), looked up by
    key and by reservation through indexes, never by reading the hotel's jobs. With
    `only_if_active`, also only while the trigger's template is on."""
    batch = sorted(reservations, key=lambda r: r.pk)
    rooms: dict[str, list[Reservation]] = {}
    for reservation in batch:
        rooms.setdefault(send_key(reservation, trigger), []).append(reservation)
    if not rooms:
        return 0
    request_id = current_request_id()
    jobs, conditions = [], []
    # Sorted: two transactions inserting the same keys take them in the same order.
    for key, trip in sorted(rooms.items()):
        lead = trip[0]
        jobs.append(
            AutomationJob(
                tenant=tenant,
                kind=JobKind.SEND_MESSAGE,
                idempotency_key=key,
                payload={"reservation": lead.pk, "trigger": trigger},
                reservation=lead,
                run_at=run_at(lead),
                request_id=request_id,
            )
        )
        # A job written before trips shared one message, for any room of the trip: it has one.
        keys = [key, *(per_reservation_key(r.pk, trigger) for r in trip)]
        condition: Any = ~Exists(
            AutomationJob.objects.filter(tenant=tenant, idempotency_key__in=keys)
        )
        # A room whose dates (or guest) changed after its message was queued has a new trip
        # key, but the same reason: the message it has (sent or waiting) stays the only one.
        condition &= ~Exists(
            AutomationJob.objects.filter(
                tenant=tenant,
                kind=JobKind.SEND_MESSAGE,
                reservation_id__in=[r.pk for r in trip],
                idempotency_key__endswith=f":{trigger}",
            ).exclude(status=JobStatus.CANCELLED)
        )
        if only_if_active:
            condition &= Exists(
                MessageTemplate.objects.filter(tenant=tenant, trigger=trigger, is_active=True)
            )
        conditions.append(condition)
    writes = Batch()
    queued = writes.insert(jobs, when=conditions, ignore_conflicts=True)
    writes.execute()
    return queued.inserted


def jobs_for(tenant: Tenant, transitions: list[StatusTransition]) -> int:
    """Queue the messages these transitions call for; returns how many were new."""
    # A stay seen for the first time has no jobs yet: nothing of it to cancel.
    cancelled = [
        t.reservation_id for t in transitions if t.to_status in CANCELLING and t.from_status
    ]
    if cancelled:
        _cancel_or_hand_over(tenant, cancelled)
    wanted = [t for t in transitions if t.from_status and t.to_status in SEND_AT_ONCE]
    now = timezone.now()
    queued = 0
    booked = new_bookings(tenant, transitions, now)
    if not wanted and not booked:
        return 0
    for trigger in sorted({SEND_AT_ONCE[t.to_status] for t in wanted}):
        reservations = [t.reservation for t in wanted if SEND_AT_ONCE[t.to_status] == trigger]
        queued += queue_sends(
            tenant, trigger, reservations, _after_check_in(tenant, now), only_if_active=True
        )
    if booked:
        # At once: a booking confirmation has no timing of its own.
        queued += queue_sends(
            tenant, Trigger.BOOKED.value, booked, lambda _r: now, only_if_active=True
        )
    return queued


def _after_check_in(tenant: Tenant, now: dt.datetime) -> Callable[[Reservation], Any]:
    """The welcome's run time: the check-in (now) plus the hotel's delay, read by the insert
    itself (journey_settings; at once without a row), so that an event's transaction stays a
    few statements whatever the hotel chose (tests/test_statement_budget_postgres.py). The
    delay is whole hours within a day (a check constraint): one literal moment per choice, no
    date arithmetic for the database to differ on."""
    moments = [
        When(on_stay_delay_hours=hours, then=Value(now + dt.timedelta(hours=hours)))
        for hours in range(MAX_ON_STAY_DELAY_HOURS + 1)
    ]
    chosen = JourneySettings.objects.filter(tenant=tenant).annotate(
        at=Case(*moments, default=Value(now), output_field=DateTimeField())
    )
    run_at = Coalesce(Subquery(chosen.values("at")[:1]), Value(now), output_field=DateTimeField())
    return lambda _r: run_at


def new_bookings(
    tenant: Tenant, transitions: list[StatusTransition], now: dt.datetime
) -> list[Reservation]:
    """The stays among `transitions` that are new bookings, for the booking confirmation: seen
    for the first time, still to come (arriving after the hotel's today), and arriving after the
    hotel's first import from its PMS is over. The first import (connecting a PMS, or switching
    to another one) brings every booking the hotel already has: its guests booked long ago and
    were confirmed by the hotel then, so none of them gets a confirmation from Innbox. What
    tells: the hotel's current PMS has a finished, successful sync (a pull's first run is still
    running while its pages arrive; a pushed booking before that is part of the backlog)."""
    hotel_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    firsts = [
        t.reservation
        for t in transitions
        if not t.from_status
        and t.to_status == ReservationStatus.PRE_ARRIVAL
        and t.reservation.check_in > hotel_today
    ]
    if not firsts or not _first_import_done(tenant):
        return []
    return firsts


def _first_import_done(tenant: Tenant) -> bool:
    provider = (
        PMSConfiguration.objects.filter(tenant=tenant).values_list("provider", flat=True).first()
    )
    return (
        provider is not None
        and SyncRun.objects.filter(
            tenant=tenant, provider=provider, status=SyncStatus.SUCCEEDED
        ).exists()
    )


def _cancel_or_hand_over(tenant: Tenant, cancelled: list[int]) -> None:
    """A guest who cancelled gets no "see you tomorrow". A message their trip shares with rooms
    still booked goes on for those: it moves to one of them instead."""
    waiting = list(
        AutomationJob.objects.filter(
            tenant=tenant,
            reservation_id__in=cancelled,
            kind=JobKind.SEND_MESSAGE,
            status__in=WAITING,
        ).select_related("reservation")
    )
    shared = [job for job in waiting if is_trip_job(job) and job.reservation is not None]
    staying = _rooms_still_booked(tenant, [job.reservation for job in shared if job.reservation])
    handed_over = set()
    for job in shared:
        mate = job.reservation and staying.get(_trip_of(job.reservation))
        if mate is not None:
            AutomationJob.objects.filter(pk=job.pk, status__in=WAITING).update(
                reservation=mate,
                payload={**job.payload, "reservation": mate.pk},
                updated_at=timezone.now(),
            )
            handed_over.add(job.pk)
    queue.cancel_waiting(
        AutomationJob.objects.filter(pk__in=[j.pk for j in waiting if j.pk not in handed_over]),
        "the reservation was cancelled",
    )


def _rooms_still_booked(
    tenant: Tenant, reservations: list[Reservation]
) -> dict[tuple[int, dt.date, dt.date], Reservation]:
    """For each trip of `reservations`, its first room that is not cancelled, if any."""
    if not reservations:
        return {}
    found: dict[tuple[int, dt.date, dt.date], Reservation] = {}
    candidates = (
        Reservation.objects.filter(tenant=tenant, guest_id__in={r.guest_id for r in reservations})
        .exclude(status__in=CANCELLING)
        .order_by("pk")
    )
    trips = {_trip_of(r) for r in reservations}
    for candidate in candidates:
        if _trip_of(candidate) in trips:
            found.setdefault(_trip_of(candidate), candidate)
    return found


def _trip_of(reservation: Reservation) -> tuple[int, dt.date, dt.date]:
    return (reservation.guest_id, reservation.check_in, reservation.check_out)
