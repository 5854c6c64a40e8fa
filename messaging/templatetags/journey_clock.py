"""A waiting message's planned time on the guest's clock, beside the hotel's (the Automation
page): before arrival and after departure a message goes at the guest's local time, so staff see
both (messaging.timing.guest_zone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import template

from automation.models import AutomationJob
from messaging import timing

register = template.Library()


@dataclass(frozen=True)
class GuestClock:
    moment: dt.datetime  # in the guest's zone
    zone: str


@register.filter
def guest_clock(job: AutomationJob, hotel_zone: str) -> GuestClock | None:
    """The job's run time in its guest's zone, when that clock differs from the hotel's."""
    reservation = job.reservation
    if reservation is None or reservation.guest is None:
        return None
    zone = timing.guest_zone(reservation.guest, hotel_zone)
    hotel = ZoneInfo(hotel_zone)
    if job.run_at.astimezone(zone).utcoffset() == job.run_at.astimezone(hotel).utcoffset():
        return None
    return GuestClock(moment=job.run_at.astimezone(zone), zone=str(zone))
