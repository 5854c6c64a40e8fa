"""Whether an automated message still fits its stay at the moment it goes out.

A message is queued for a moment of the stay, and may go out hours later (quiet hours, the rate
limit, retries), by which time the stay may have moved on: a guest who checked in at night and
left before the 09:00 welcome must not be welcomed after checkout. So every automated send asks
again, with one rule per trigger: the status the stay must still have, and the days it may go.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_noop

from hotel.models import Reservation, ReservationStatus
from messaging import timing
from messaging.models import Trigger

# The mid-stay check is a morning question: after noon it would come too late to help.
MORNING_ENDS = dt.time(12, 0)

# Why a message was skipped, as stored on its job (in English, for the log and the API) and as
# staff read it (translated from these same words: skip_reasons.translated).
ARRIVAL_DAY_CAME = gettext_noop("the arrival day (%(day)s) has come")
STAY_ENDED = gettext_noop("the stay ended on %(day)s")
GUEST_LEAVES = gettext_noop("the guest leaves on %(day)s")
STATUS_NOW = gettext_noop("the reservation is %(status)s now")
OPTED_OUT = gettext_noop("the guest opted out")
NO_LONGER_FITS = gettext_noop("the stay no longer fits")
MORNING_OVER = gettext_noop("the morning after the first night (%(day)s) is over")
ONE_NIGHT = gettext_noop("a one-night stay gets no mid-stay check")
NOT_THE_EVE = gettext_noop("the checkout reminder goes on the eve of departure (%(day)s)")
SWITCHED_OFF = gettext_noop("the message was switched off")
SKIP_REASONS = [
    ARRIVAL_DAY_CAME,
    STAY_ENDED,
    GUEST_LEAVES,
    STATUS_NOW,
    OPTED_OUT,
    NO_LONGER_FITS,
    MORNING_OVER,
    ONE_NIGHT,
    NOT_THE_EVE,
    SWITCHED_OFF,
]

# (reservation, now, hotel zone) -> why the day is wrong, or None.
DayCheck = Callable[[Reservation, dt.datetime, ZoneInfo], str | None]


@dataclass(frozen=True)
class Rule:
    status: ReservationStatus
    right_day: DayCheck


def _before_arrival(reservation: Reservation, now: dt.datetime, hotel: ZoneInfo) -> str | None:
    # The guest's own day, as the message was timed in it (a guest far west of the hotel gets
    # it on the eve of arrival by their clock, already arrival day by the hotel's).
    zone = timing.guest_zone(reservation.guest, str(hotel))
    if now.astimezone(zone).date() >= reservation.check_in:
        return ARRIVAL_DAY_CAME % {"day": reservation.check_in.isoformat()}
    return None


def _during_the_stay(reservation: Reservation, now: dt.datetime, hotel: ZoneInfo) -> str | None:
    if now.astimezone(hotel).date() > reservation.check_out:
        return STAY_ENDED % {"day": reservation.check_out.isoformat()}
    return None


def _after_departure(reservation: Reservation, now: dt.datetime, hotel: ZoneInfo) -> str | None:
    departure = reservation.departure_day(hotel)
    if now.astimezone(hotel).date() < departure:
        return GUEST_LEAVES % {"day": departure.isoformat()}
    return None


def _the_morning_after_the_first_night(
    reservation: Reservation, now: dt.datetime, hotel: ZoneInfo
) -> str | None:
    # Asked while there is time to fix a problem: the morning after the first night, not later
    # (a guest who arrived late, or a message held back too long, gets none).
    if (reservation.check_out - reservation.check_in).days < 2:
        return ONE_NIGHT
    morning = reservation.check_in + dt.timedelta(days=1)
    local = now.astimezone(hotel)
    if local.date() != morning or local.time() >= MORNING_ENDS:
        return MORNING_OVER % {"day": morning.isoformat()}
    return None


def _the_eve_of_departure(
    reservation: Reservation, now: dt.datetime, hotel: ZoneInfo
) -> str | None:
    # On the check-out day itself the reminder is too late; a stay extended since it was
    # queued gets its own, on its new eve.
    eve = reservation.check_out - dt.timedelta(days=1)
    if now.astimezone(hotel).date() != eve:
        return NOT_THE_EVE % {"day": eve.isoformat()}
    return None


RULES: dict[str, Rule] = {
    Trigger.BOOKED.value: Rule(ReservationStatus.PRE_ARRIVAL, _before_arrival),
    Trigger.PRE_ARRIVAL.value: Rule(ReservationStatus.PRE_ARRIVAL, _before_arrival),
    Trigger.ON_STAY.value: Rule(ReservationStatus.ON_STAY, _during_the_stay),
    Trigger.MID_STAY.value: Rule(ReservationStatus.ON_STAY, _the_morning_after_the_first_night),
    Trigger.CHECKOUT.value: Rule(ReservationStatus.ON_STAY, _the_eve_of_departure),
    Trigger.POST_STAY.value: Rule(ReservationStatus.CHECKED_OUT, _after_departure),
}


def why_not(
    trigger: str, reservation: Reservation, now: dt.datetime, hotel_zone: str
) -> str | None:
    """None when a `trigger` message still fits `reservation` at `now`; else why it does not,
    in words for the job's result."""
    rule = RULES.get(trigger)
    if rule is None:
        return None
    if reservation.status != rule.status:
        return STATUS_NOW % {"status": reservation.status}
    return rule.right_day(reservation, now, ZoneInfo(hotel_zone))
