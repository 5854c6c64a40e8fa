"""When timed messages go out, at the times the hotel chose (messaging.journey): the pre-arrival
message N days before arrival, the mid-stay check the morning after the first night, the checkout
reminder the evening before departure, and the post-stay thank-you with its feedback link N days
after the guest left (counted from the day they left, if they left early). Periodic tasks of the
engine's scheduler (automation.scheduler), registered in messaging's AppConfig.ready; each queues
its jobs through messaging.triggers.queue_sends, so a repeat tick queues nothing twice. The
welcome at check-in and the booking confirmation follow status transitions instead
(messaging.triggers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from hotel.models import Reservation, ReservationStatus
from messaging import journey, triggers
from messaging.models import JourneySettings, MessageTemplate, Trigger
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant


def post_stays(tenant: Tenant, now: dt.datetime) -> int:
    """N days after the guest left, at the hotel's post-stay time on the guest's clock: the
    thank-you with the feedback link. Queued from the day they leave (the guest's clock may be
    ahead of the hotel's), counted from the day they actually left when that is known."""
    zone = ZoneInfo(tenant.time_zone)
    settings = _settings_if_on(tenant, Trigger.POST_STAY)
    if settings is None:
        return 0
    hotel_today = now.astimezone(zone).date()
    first = hotel_today - dt.timedelta(days=settings.post_stay_days_after)
    candidates = Reservation.objects.filter(
        Q(check_out__gte=first, check_out__lte=hotel_today)
        | Q(
            departed_at__gte=_midnight(first, zone),
            departed_at__lt=_midnight(hotel_today + dt.timedelta(days=1), zone),
        ),
        tenant=tenant,
        status=ReservationStatus.CHECKED_OUT,
    ).select_related("guest")
    return _timed_messages(
        tenant,
        Trigger.POST_STAY,
        candidates,
        settings,
        now,
        keep=lambda r: first <= r.departure_day(zone) <= hotel_today,
    )


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def pre_arrivals(tenant: Tenant, now: dt.datetime) -> int:
    """Guests arriving in the next days get their pre-arrival message N days before, at the
    hotel's time on their clock (at once, if booked later than that). A booking for today gets
    none: it would arrive with or after the guest."""
    settings = _settings_if_on(tenant, Trigger.PRE_ARRIVAL)
    if settings is None:
        return 0
    hotel_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    # One day more than the lead: a guest far east of the hotel is a day ahead of it.
    horizon = hotel_today + dt.timedelta(days=settings.pre_arrival_days_before + 1)
    arriving = Reservation.objects.filter(
        tenant=tenant,
        status=ReservationStatus.PRE_ARRIVAL,
        check_in__gt=hotel_today,
        check_in__lte=horizon,
    ).select_related("guest")
    return _timed_messages(tenant, Trigger.PRE_ARRIVAL, arriving, settings, now)


def mid_stays(tenant: Tenant, now: dt.datetime) -> int:
    """Guests in the house for 2 nights or more get "how is everything?" the morning after their
    first night, at the hotel's mid-stay time: early enough to fix a problem before checkout.
    A one-night guest gets none (the morning after is their checkout), nor a guest who checked
    in after that morning."""
    settings = _settings_if_on(tenant, Trigger.MID_STAY)
    if settings is None:
        return 0
    zone = ZoneInfo(tenant.time_zone)
    local = now.astimezone(zone)
    hotel_today = local.date()
    in_house = Reservation.objects.filter(
        tenant=tenant,
        status=ReservationStatus.ON_STAY,
        check_in__gte=hotel_today - dt.timedelta(days=1),
        check_in__lte=hotel_today,
    ).select_related("guest")
    return _timed_messages(
        tenant,
        Trigger.MID_STAY,
        in_house,
        settings,
        now,
        # Two nights or more, and the morning after the first night has not passed yet.
        keep=lambda r: (
            (r.check_out - r.check_in).days >= 2
            and now < _at(r.check_in + dt.timedelta(days=1), journey.MORNING_ENDS, zone)
        ),
    )


def checkout_reminders(tenant: Tenant, now: dt.datetime) -> int:
    """Guests leaving tomorrow get the checkout reminder (checkout time, late-checkout offer)
    this evening, at the hotel's reminder time."""
    settings = _settings_if_on(tenant, Trigger.CHECKOUT)
    if settings is None:
        return 0
    hotel_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    leaving_tomorrow = Reservation.objects.filter(
        tenant=tenant,
        status=ReservationStatus.ON_STAY,
        check_out=hotel_today + dt.timedelta(days=1),
    ).select_related("guest")
    return _timed_messages(tenant, Trigger.CHECKOUT, leaving_tomorrow, settings, now)


def _at(day: dt.date, clock: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=zone)


def _settings_if_on(tenant: Tenant, trigger: Trigger) -> JourneySettings | None:
    """The hotel's journey settings while `trigger`'s template sends automatically; else None
    (nothing to queue)."""
    with acting_for_tenant(tenant.id):
        if not MessageTemplate.objects.filter(
            tenant=tenant, trigger=trigger, is_active=True
        ).exists():
            return None
        return journey.settings_for(tenant)


def _timed_messages(
    tenant: Tenant,
    trigger: Trigger,
    reservations: QuerySet[Reservation],
    settings: JourneySettings,
    now: dt.datetime,
    *,
    keep: Callable[[Reservation], bool] = lambda _r: True,
) -> int:
    """One job per trip for `trigger`, for the `reservations` to `keep`, at the time the
    hotel's journey plans it (messaging.triggers.queue_sends: a repeat is nothing). The
    reservations are read here, inside the hotel's context: under row-level security nothing
    is visible outside it."""
    with acting_for_tenant(tenant.id):
        return triggers.queue_sends(
            tenant,
            trigger.value,
            [r for r in reservations if keep(r)],
            lambda r: journey.send_at(trigger.value, r, settings, tenant.time_zone, now),
        )
