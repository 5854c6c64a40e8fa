"""The dashboard's numbers, scoped to the request's tenant, in the hotel's time zone.

Every function here is a fixed number of aggregate queries (COUNT / GROUP BY in the database),
so the dashboard costs the same for a hotel with ten rows as for one with a million.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from hotel.models import Guest, Reservation, ReservationStatus
from messaging.models import Direction, MessageLog, MessageStatus
from tenancy.access import MemberRequest, tenant_queryset

MESSAGE_CHART_DAYS = 14
MOVEMENT_CHART_DAYS = 7
# Reservations that will not (or did not) occupy a room.
NOT_STAYING = [ReservationStatus.CANCELLED, ReservationStatus.NO_SHOW]
# Outbound delivery states, bottom of the stack first: the happy path, then what is pending,
# then what went wrong.
OUTBOUND_STATUSES = [
    MessageStatus.READ,
    MessageStatus.DELIVERED,
    MessageStatus.SENT,
    MessageStatus.QUEUED,
    MessageStatus.FAILED,
]


@dataclass(frozen=True)
class Occupancy:
    occupied_rooms: int
    room_count: int | None

    @property
    def known(self) -> bool:
        return self.room_count is not None

    @property
    def percent(self) -> int | None:
        """Rounded to whole percent; above 100 means the room count is too low, shown as is."""
        if self.room_count is None:
            return None
        return round(100 * self.occupied_rooms / self.room_count)


@dataclass(frozen=True)
class HeadlineStats:
    guests: int
    in_house: int
    arrivals_today: int
    messages_sent_today: int
    messages_sent_7_days: int
    occupancy: Occupancy


@dataclass(frozen=True)
class DailySeries:
    """Counts per day (x) and series (stack or group member), zeros included."""

    days: list[dt.date]
    series: list[str]
    counts: dict[tuple[dt.date, str], int]

    def value(self, day: dt.date, series: str) -> int:
        return self.counts.get((day, series), 0)

    def total(self, day: dt.date) -> int:
        return sum(self.value(day, name) for name in self.series)


def hotel_zone(request: MemberRequest) -> ZoneInfo:
    return ZoneInfo(request.tenant.time_zone)


def hotel_today(request: MemberRequest) -> dt.date:
    return timezone.localtime(timezone=hotel_zone(request)).date()


def start_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight at the hotel; `combine` with the zone is right across DST changes."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def for_tenant(request: MemberRequest) -> HeadlineStats:
    today = hotel_today(request)
    reservations = _reservation_counts(request, today)
    sent = _sent_counts(request, today)
    return HeadlineStats(
        guests=tenant_queryset(request, Guest).count(),
        in_house=reservations["in_house"],
        arrivals_today=reservations["arrivals_today"],
        messages_sent_today=sent["today"],
        messages_sent_7_days=sent["week"],
        occupancy=Occupancy(
            # A stay without a room number yet still takes a room; two stays that share a
            # numbered room take one.
            occupied_rooms=reservations["numbered_rooms"] + reservations["unnumbered_stays"],
            room_count=request.tenant.room_count,
        ),
    )


def _reservation_counts(request: MemberRequest, today: dt.date) -> dict[str, int]:
    on_stay = Q(status=ReservationStatus.ON_STAY)
    return tenant_queryset(request, Reservation).aggregate(
        in_house=Count("pk", filter=on_stay),
        numbered_rooms=Count("room_number", filter=on_stay & ~Q(room_number=""), distinct=True),
        unnumbered_stays=Count("pk", filter=on_stay & Q(room_number="")),
        arrivals_today=Count("pk", filter=Q(check_in=today) & ~Q(status__in=NOT_STAYING)),
    )


def _sent_counts(request: MemberRequest, today: dt.date) -> dict[str, int]:
    # "Sent" means WAHA accepted it (sent_at is set): queued and failed messages are not sent.
    zone = hotel_zone(request)
    week_start = start_of(today - dt.timedelta(days=6), zone)
    return (
        tenant_queryset(request, MessageLog)
        .filter(direction=Direction.OUTBOUND, sent_at__gte=week_start)
        .aggregate(
            today=Count("pk", filter=Q(sent_at__gte=start_of(today, zone))),
            week=Count("pk"),
        )
    )


def messages_per_day(request: MemberRequest) -> DailySeries:
    """Outbound messages created on each of the last 14 hotel days, by their delivery state now."""
    zone = hotel_zone(request)
    today = hotel_today(request)
    days = [today - dt.timedelta(days=n) for n in range(MESSAGE_CHART_DAYS - 1, -1, -1)]
    rows = (
        tenant_queryset(request, MessageLog)
        .filter(direction=Direction.OUTBOUND, created_at__gte=start_of(days[0], zone))
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(row["day"], row["status"]): row["n"] for row in rows}
    return DailySeries(days=days, series=[str(s) for s in OUTBOUND_STATUSES], counts=counts)


def arrivals_and_departures(request: MemberRequest) -> DailySeries:
    """Arrivals (check-ins) and departures (check-outs) on each of the next 7 hotel days."""
    today = hotel_today(request)
    days = [today + dt.timedelta(days=n) for n in range(MOVEMENT_CHART_DAYS)]
    staying = tenant_queryset(request, Reservation).exclude(status__in=NOT_STAYING)
    counts: dict[tuple[dt.date, str], int] = {}
    for series, field in (("arrivals", "check_in"), ("departures", "check_out")):
        rows = (
            staying.filter(**{f"{field}__range": (days[0], days[-1])})
            .values(field)
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({(row[field], series): row["n"] for row in rows})
    return DailySeries(days=days, series=["arrivals", "departures"], counts=counts)
