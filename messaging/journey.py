"""The guest journey a hotel shapes: when each touchpoint's message is planned, and moving the
waiting ones when the hotel changes a timing (docs/messaging.md, "The guest journey").

Six touchpoints, in the order a guest meets them (messaging.models.Trigger):
- booking confirmation: at once, when a new booking arrives (messaging.triggers.new_bookings);
- pre-arrival: N days before arrival, at HH:MM on the guest's clock;
- on-stay welcome: at check-in, or N hours after;
- mid-stay check: the morning after the first night, at HH:MM hotel time (stays of 2+ nights);
- checkout reminder: the evening before departure, at HH:MM hotel time;
- post-stay thank-you: N days after departure, at HH:MM on the guest's clock.

Whether one goes at all is its template's switch. Quiet hours apply on top (timing.next_allowed),
and each send asks again whether the stay still fits (messaging.trigger_rules).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from automation.models import AutomationJob, JobKind, JobStatus
from hotel.models import Reservation
from messaging import timing, trigger_rules
from messaging.models import JourneySettings, Trigger
from tenancy.models import Tenant

# The mid-stay check asks "how is everything?" in the morning; after noon it would not.
MORNING_ENDS = trigger_rules.MORNING_ENDS
# Before arrival and after departure the guest is at home: their clock counts.
ON_THE_GUESTS_CLOCK = {Trigger.BOOKED.value, Trigger.PRE_ARRIVAL.value, Trigger.POST_STAY.value}
# Queued by a status transition (messaging.triggers), not by the scheduler.
AT_AN_EVENT = {Trigger.BOOKED.value, Trigger.ON_STAY.value}
WAITING = [JobStatus.QUEUED, JobStatus.RETRYING]
# Which settings time each touchpoint: a change to one of them moves its waiting messages.
TIMING_FIELDS: dict[str, tuple[str, ...]] = {
    Trigger.PRE_ARRIVAL.value: ("pre_arrival_days_before", "pre_arrival_time"),
    Trigger.ON_STAY.value: ("on_stay_delay_hours",),
    Trigger.MID_STAY.value: ("mid_stay_time",),
    Trigger.CHECKOUT.value: ("checkout_reminder_time",),
    Trigger.POST_STAY.value: ("post_stay_days_after", "post_stay_time"),
}


def settings_for(tenant: Tenant) -> JourneySettings:
    """The hotel's journey settings; the defaults (unsaved) for a hotel that never changed them."""
    return JourneySettings.objects.filter(tenant=tenant).first() or JourneySettings(tenant=tenant)


def zone_of(trigger: str, reservation: Reservation, hotel_zone: str) -> ZoneInfo:
    if trigger in ON_THE_GUESTS_CLOCK:
        return timing.guest_zone(reservation.guest, hotel_zone)
    return ZoneInfo(hotel_zone)


def _at(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)


def planned_at(
    trigger: str,
    reservation: Reservation,
    journey: JourneySettings,
    hotel_zone: str,
    now: dt.datetime,
) -> dt.datetime:
    """When the hotel's timing puts `trigger`'s message for `reservation` (quiet hours aside);
    `now` for a message that goes at once."""
    hotel = ZoneInfo(hotel_zone)
    zone = zone_of(trigger, reservation, hotel_zone)
    if trigger == Trigger.PRE_ARRIVAL:
        day = reservation.check_in - dt.timedelta(days=journey.pre_arrival_days_before)
        return _at(day, journey.pre_arrival_time, zone)
    if trigger == Trigger.ON_STAY:
        # Counted from the check-in itself: a later change of the delay keeps that reference.
        checked_in = reservation.status_changed_at or now
        return checked_in + dt.timedelta(hours=journey.on_stay_delay_hours)
    if trigger == Trigger.MID_STAY:
        return _at(reservation.check_in + dt.timedelta(days=1), journey.mid_stay_time, hotel)
    if trigger == Trigger.CHECKOUT:
        eve = reservation.check_out - dt.timedelta(days=1)
        return _at(eve, journey.checkout_reminder_time, hotel)
    if trigger == Trigger.POST_STAY:
        day = reservation.departure_day(hotel) + dt.timedelta(days=journey.post_stay_days_after)
        return _at(day, journey.post_stay_time, zone)
    return now  # the booking confirmation: as soon as the booking arrives


def send_at(
    trigger: str,
    reservation: Reservation,
    journey: JourneySettings,
    hotel_zone: str,
    now: dt.datetime,
) -> dt.datetime:
    """The job's run time: the planned moment, or now if that has passed; a timed message
    outside quiet hours in the clock that counts for it. A message of an event (the booking, the
    check-in) is due from the event on, and defers itself when it runs in quiet hours
    (messaging.jobs), as it always did."""
    moment = max(planned_at(trigger, reservation, journey, hotel_zone, now), now)
    if trigger in AT_AN_EVENT:
        return moment
    return timing.next_allowed(moment, zone_of(trigger, reservation, hotel_zone))


def changed_touchpoints(before: JourneySettings, after: JourneySettings) -> list[str]:
    """The touchpoints whose timing differs between two versions of the settings."""
    return [
        trigger
        for trigger, fields in TIMING_FIELDS.items()
        if any(getattr(before, name) != getattr(after, name) for name in fields)
    ]


def reschedule_waiting(
    tenant: Tenant, journey: JourneySettings, touchpoints: list[str], now: dt.datetime
) -> int:
    """Move the waiting (queued or retrying) messages of `touchpoints` to the time the new
    settings plan for them; returns how many moved. Call it in the transaction that saves the
    settings: a worker never sees the new timing without the moved jobs, or the reverse. A job
    a worker holds now is left alone (its status is running)."""
    moved = 0
    for trigger in touchpoints:
        waiting = AutomationJob.objects.filter(
            tenant=tenant,
            kind=JobKind.SEND_MESSAGE,
            status__in=WAITING,
            reservation__isnull=False,
            idempotency_key__endswith=f":{trigger}",
        ).select_related("reservation__guest")
        for job in waiting:
            stay = job.reservation
            assert stay is not None
            if stay.status_changed_at is None:  # a stay whose check-in time we never learnt:
                stay.status_changed_at = job.created_at  # its welcome was queued at check-in
            run_at = send_at(trigger, stay, journey, tenant.time_zone, now)
            if job.status == JobStatus.RETRYING:
                # A retry waits for its backoff still: it was past its planned time already.
                run_at = max(run_at, job.run_at)
            if run_at == job.run_at:
                continue
            moved += AutomationJob.objects.filter(pk=job.pk, status__in=WAITING).update(
                run_at=run_at, updated_at=now
            )
    return moved
