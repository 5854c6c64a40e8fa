"""The dashboard's headline numbers, each one query, scoped to the request's tenant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from hotel.models import Guest, Reservation, ReservationStatus
from messaging.models import Direction, MessageLog
from tenancy.access import MemberRequest, tenant_queryset


@dataclass(frozen=True)
class HeadlineStats:
    guests: int
    in_house: int
    arrivals_today: int
    messages_sent_today: int


def hotel_today(request: MemberRequest) -> dt.date:
    return timezone.localtime(timezone=ZoneInfo(request.tenant.time_zone)).date()


def for_tenant(request: MemberRequest) -> HeadlineStats:
    # "Today" is the hotel's day, not the server's.
    hotel_now = timezone.localtime(timezone=ZoneInfo(request.tenant.time_zone))
    today = hotel_now.date()
    start_of_day = hotel_now.replace(hour=0, minute=0, second=0, microsecond=0)
    reservations = tenant_queryset(request, Reservation)
    return HeadlineStats(
        guests=tenant_queryset(request, Guest).count(),
        in_house=reservations.filter(status=ReservationStatus.ON_STAY).count(),
        arrivals_today=reservations.filter(check_in=today)
        .exclude(status__in=[ReservationStatus.CANCELLED, ReservationStatus.NO_SHOW])
        .count(),
        messages_sent_today=tenant_queryset(request, MessageLog)
        .filter(direction=Direction.OUTBOUND, created_at__gte=start_of_day)
        .count(),
    )
