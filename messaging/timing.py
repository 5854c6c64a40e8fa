"""When a message may go out: local send times and quiet hours, in the right time zone.

Before arrival and after departure the guest is at home, so their own time zone counts (from their
phone number's country); during the stay the hotel's does. Quiet hours defer a send, never drop it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_timezones

from hotel.models import Guest, Reservation, ReservationStatus


def guest_zone(guest: Guest, hotel_zone: str) -> ZoneInfo:
    """The guest's zone from their number; the hotel's when the number spans several offsets."""
    try:
        candidates = phone_timezones.time_zones_for_number(phonenumbers.parse(guest.phone_e164))
    except phonenumbers.NumberParseException:
        candidates = ()
    zones = [ZoneInfo(name) for name in candidates if name != "Etc/Unknown"]
    if zones:
        now = dt.datetime.now(tz=dt.UTC)
        if len({now.astimezone(zone).utcoffset() for zone in zones}) == 1:
            return zones[0]
    return ZoneInfo(hotel_zone)


def zone_for(reservation: Reservation, hotel_zone: str) -> ZoneInfo:
    if reservation.status == ReservationStatus.ON_STAY:
        return ZoneInfo(hotel_zone)
    return guest_zone(reservation.guest, hotel_zone)


def clock(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def allowed_hours() -> tuple[dt.time, dt.time] | None:
    """(first, end) of the local hours messages may go out; None without quiet hours."""
    start, end = (
        clock(settings.AUTOMATION_QUIET_HOURS_END),
        clock(settings.AUTOMATION_QUIET_HOURS_START),
    )
    return None if start == end else (start, end)


def next_allowed(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """`moment` if it is inside the allowed hours in `zone`, else the next start of them."""
    hours = allowed_hours()
    if hours is None:  # no quiet hours configured
        return moment
    start, end = hours
    local = moment.astimezone(zone)
    if start <= local.time() < end:
        return moment
    day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC)
