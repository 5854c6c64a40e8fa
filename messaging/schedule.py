"""When timed messages go out: the pre-arrival message at the guest's local send time before
arrival, and the post-stay thank-you with its feedback link the day after the guest left (early,
if they left early). Periodic tasks of the engine's scheduler (automation.scheduler), registered
in messaging's AppConfig.ready; each queues its jobs through messaging.triggers.queue_sends, so
a repeat tick queues nothing twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from hotel.models import Reservation, ReservationStatus
from messaging import timing, triggers
from messaging.models import MessageTemplate, Trigger
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant


def post_stays(tenant: Tenant, now: dt.datetime) -> int:
    """The day after the guest left (H+1), at the local send time, the thank-you with the
    feedback link: the day they actually left when that is known, else the planned day."""
    zone = ZoneInfo(tenant.time_zone)
    hotel_today = now.astimezone(zone).date()
    yesterday = hotel_today - dt.timedelta(days=1)
    candidates = Reservation.objects.filter(
        Q(check_out__gte=yesterday, check_out__lte=hotel_today)
        | Q(
            departed_at__gte=_midnight(yesterday, zone),
            departed_at__lt=_midnight(hotel_today + dt.timedelta(days=1), zone),
        ),
        tenant=tenant,
        status=ReservationStatus.CHECKED_OUT,
    ).select_related("guest")
    # Read when the messages are queued, inside the hotel's context.
    departed = (r for r in candidates if yesterday <= r.departure_day(zone) <= hotel_today)
    return _timed_messages(
        tenant,
        Trigger.POST_STAY,
        departed,
        lambda r: r.departure_day(zone) + dt.timedelta(days=1),
        now,
    )


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def pre_arrivals(tenant: Tenant, now: dt.datetime) -> int:
    """Guests arriving in the next days get their pre-arrival message at the local send time.
    A booking for today gets none: it would arrive with or after the guest."""
    hotel_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    days_before = dt.timedelta(days=settings.AUTOMATION_PRE_ARRIVAL_DAYS_BEFORE)
    arriving = Reservation.objects.filter(
        tenant=tenant,
        status=ReservationStatus.PRE_ARRIVAL,
        check_in__gt=hotel_today,
        check_in__lte=hotel_today + days_before + dt.timedelta(days=1),
    ).select_related("guest")
    return _timed_messages(
        tenant, Trigger.PRE_ARRIVAL, arriving, lambda r: r.check_in - days_before, now
    )


def _timed_messages(
    tenant: Tenant,
    trigger: Trigger,
    reservations: Iterable[Reservation],
    send_day: Callable[[Reservation], dt.date],
    now: dt.datetime,
) -> int:
    """One job per trip for `trigger`, at the local send time of its day in the guest's zone
    (messaging.triggers.queue_sends: a repeat is nothing)."""
    with acting_for_tenant(tenant.id):
        if not MessageTemplate.objects.filter(
            tenant=tenant, trigger=trigger, is_active=True
        ).exists():
            return 0
        return triggers.queue_sends(
            tenant,
            trigger.value,
            reservations,
            lambda r: timing.local_send_at(
                send_day(r), timing.guest_zone(r.guest, tenant.time_zone), now
            ),
        )
