"""The hotel's feedback and delivery figures for /feedback/ and the dashboard's card.

Every function reads the request's hotel only (`tenant_queryset`) and costs a fixed number of
queries whatever the number of rows: counts and averages are aggregated by the database
(COUNT / AVG with FILTER, GROUP BY); the only rows read are the latest comments (a fixed number)
and, for first-response times, one pair of timestamps per guest message that started a wait
(median and p90 are taken in Python: SQLite has no percentile function).

Definitions (docs/analytics.md says the same for the hotel):
- The period is the last N days up to now, starting at midnight in the hotel's time zone.
- Ratings count the answers given (`feedback_submitted_at`) in the period; the response rate
  counts the stays that ended (check-out) in the period and were sent the form.
- Funnel: touchpoint messages created in the period. Sent = WhatsApp accepted it (sent, delivered
  or read); delivered includes read (WhatsApp may report "read" without "delivered"); replied =
  the guest wrote in that chat within REPLY_WINDOW after it was sent and before the next
  touchpoint message in that chat; form completed (post-stay) = the stay's feedback was given on
  the form. Percentages are of the messages sent; failed is a share of all messages.
- First response: a guest message opens a wait when the guest's previous word in that chat was
  answered (or there was none); the wait ends with the first answer in the chat (a non-failed
  outbound message written by the agent, by staff in Innbox, or on the hotel's phone).
  Touchpoint messages are not answers.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotel.models import FeedbackSource, FeedbackStatus, Reservation
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus, Trigger
from tenancy.access import TenantRequest, tenant_queryset

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 30
# A guest's message counts as a reply to a touchpoint if it comes within this time after it (and
# before the next touchpoint message in the chat).
REPLY_WINDOW = dt.timedelta(hours=48)
LATEST_COMMENTS = 20
# Longer periods are drawn per month, so the trend has at most 13 bars.
MONTHLY_FROM_DAYS = 180

SENT_OR_LATER = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ]
DELIVERED_OR_LATER = [MessageStatus.DELIVERED, MessageStatus.READ]
AGENT_ORIGINS = [MessageOrigin.AGENT]
STAFF_ORIGINS = [MessageOrigin.MANUAL, MessageOrigin.HOTEL_PHONE]
ANSWER_ORIGINS = [*AGENT_ORIGINS, *STAFF_ORIGINS]
# Names for the topics hotels rate most; a topic without a name here shows its key.
TOPIC_NAMES = {
    "room": gettext_lazy("Room"),
    "cleanliness": gettext_lazy("Cleanliness"),
    "staff": gettext_lazy("Staff"),
    "breakfast": gettext_lazy("Breakfast"),
}


@dataclass(frozen=True)
class Period:
    days: int
    first_day: dt.date  # in the hotel's time zone
    start: dt.datetime
    zone: ZoneInfo

    @property
    def monthly(self) -> bool:
        return self.days >= MONTHLY_FROM_DAYS


def chosen_days(raw: str | None) -> int:
    """The period asked for in the query string; anything else is the default, as in the lists."""
    try:
        days = int(raw or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def period_for(request: TenantRequest, days: int) -> Period:
    assert request.tenant is not None
    zone = ZoneInfo(request.tenant.time_zone)
    today = timezone.localtime(timezone=zone).date()
    first_day = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=zone)
    return Period(days=days, first_day=first_day, start=start, zone=zone)


@dataclass(frozen=True)
class Share:
    """`count` out of `total`, shown as both: a percentage never stands without its raw counts."""

    count: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.count / self.total) if self.total else None


# --- ratings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int
    distribution: list[tuple[int, Share]]  # 5 stars first


@dataclass(frozen=True)
class TrendPoint:
    start: dt.date
    average: float | None
    count: int


@dataclass(frozen=True)
class TopicScore:
    key: str
    name: str
    average: float
    count: int


@dataclass(frozen=True)
class ResponseRate:
    requested: int
    completed: int

    @property
    def share(self) -> Share:
        return Share(self.completed, self.requested)


def answered(request: TenantRequest, period: Period) -> QuerySet[Reservation]:
    return tenant_queryset(request, Reservation).filter(
        feedback_status=FeedbackStatus.COMPLETED,
        feedback_rating__isnull=False,
        feedback_submitted_at__gte=period.start,
    )


def rating_summary(request: TenantRequest, period: Period) -> RatingSummary:
    stars = range(5, 0, -1)
    figures = answered(request, period).aggregate(
        average=Avg("feedback_rating"),
        count=Count("pk"),
        **{f"stars_{n}": Count("pk", filter=Q(feedback_rating=n)) for n in stars},
    )
    count = figures["count"]
    return RatingSummary(
        average=figures["average"],
        count=count,
        distribution=[(n, Share(figures[f"stars_{n}"], count)) for n in stars],
    )


def rating_trend(request: TenantRequest, period: Period) -> list[TrendPoint]:
    """The average per week (Monday first) or per month, every bucket of the period listed,
    empty ones too, so a quiet week shows as a gap instead of disappearing."""
    kind = "month" if period.monthly else "week"
    rows = (
        answered(request, period)
        .annotate(
            bucket=Trunc(
                "feedback_submitted_at", kind, output_field=DateField(), tzinfo=period.zone
            )
        )
        .values("bucket")
        .annotate(average=Avg("feedback_rating"), count=Count("pk"))
        .order_by()
    )
    found = {row["bucket"]: (row["average"], row["count"]) for row in rows}
    last_day = timezone.localdate(timezone=period.zone)
    return [
        # The first bucket is labelled from the period's first day: nothing before it counts.
        TrendPoint(max(start, period.first_day), *found.get(start, (None, 0)))
        for start in _bucket_starts(period.first_day, last_day, kind)
    ]


def _bucket_starts(first: dt.date, last: dt.date, kind: str) -> list[dt.date]:
    if kind == "month":
        starts, day = [], first.replace(day=1)
        while day <= last:
            starts.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return starts
    monday = first - dt.timedelta(days=first.weekday())
    return [monday + dt.timedelta(weeks=n) for n in range((last - monday).days // 7 + 1)]


def topic_scores(request: TenantRequest, period: Period) -> list[TopicScore]:
    """Average and count per topic over the period's answers. The topics are JSON keys that each
    hotel chooses, so the database lists them (json_each / jsonb_each) instead of a fixed list."""
    ids_sql, ids_params = answered(request, period).values("pk").query.sql_with_params()
    if connection.vendor == "postgresql":
        each = "jsonb_each(r.feedback_topics) AS t(key, value)"
        numeric = "jsonb_typeof(t.value) = 'number'"
        value = "(t.value)::text::numeric"
    else:
        each = "json_each(r.feedback_topics) AS t"
        numeric = "t.type IN ('integer', 'real')"
        value = "t.value"
    table = connection.ops.quote_name(Reservation._meta.db_table)
    key = connection.ops.quote_name(str(Reservation._meta.pk.column))
    sql = (
        f"SELECT t.key, AVG({value}), COUNT(*) FROM {table} r, {each} "  # noqa: S608 (no input)
        f"WHERE r.{key} IN ({ids_sql}) AND {numeric} GROUP BY t.key ORDER BY t.key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids_params)
        rows = cursor.fetchall()
    return [
        TopicScore(
            key, str(TOPIC_NAMES.get(key, key.replace("_", " ").capitalize())), float(avg), n
        )
        for key, avg, n in rows
    ]


def latest_comments(request: TenantRequest, period: Period) -> list[Reservation]:
    return list(
        answered(request, period)
        .exclude(feedback_comments="")
        .select_related("guest")
        .order_by("-feedback_submitted_at", "-pk")[:LATEST_COMMENTS]
    )


def response_rate(request: TenantRequest, period: Period) -> ResponseRate:
    """Stays that ended in the period and were sent the form; how many answered (form or chat)."""
    figures = (
        tenant_queryset(request, Reservation)
        .filter(
            check_out__gte=period.first_day,
            feedback_status__in=[FeedbackStatus.PENDING, FeedbackStatus.COMPLETED],
        )
        .aggregate(
            requested=Count("pk"),
            completed=Count("pk", filter=Q(feedback_status=FeedbackStatus.COMPLETED)),
        )
    )
    return ResponseRate(requested=figures["requested"], completed=figures["completed"])


# --- the touchpoint funnel --------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    touchpoint: str
    name: str
    messages: int  # every message of the touchpoint in the period, queued and failed ones too
    sent: int
    delivered: int
    read: int
    replied: int
    form_completed: int | None  # post-stay only
    failed: int

    @property
    def stages(self) -> list[tuple[str, Share]]:
        """Each stage as a share of the messages sent."""
        stages = [
            ("delivered", Share(self.delivered, self.sent)),
            ("read", Share(self.read, self.sent)),
            ("replied", Share(self.replied, self.sent)),
        ]
        if self.form_completed is not None:
            stages.append(("form", Share(self.form_completed, self.sent)))
        return stages

    @property
    def failed_share(self) -> Share:
        return Share(self.failed, self.messages)


def funnel(request: TenantRequest, period: Period) -> list[FunnelRow]:
    """One row per touchpoint, in the journey's order, from one grouped query."""
    touchpoints = [str(value) for value in Trigger.values]
    sent = Q(status__in=SENT_OR_LATER)
    rows = (
        tenant_queryset(request, MessageLog)
        .filter(direction=Direction.OUTBOUND, origin__in=touchpoints, created_at__gte=period.start)
        .alias(went_at=Coalesce("sent_at", "created_at"))
        .alias(
            window_end=ExpressionWrapper(F("went_at") + REPLY_WINDOW, output_field=DateTimeField()),
        )
        .alias(guest_replied=Exists(_replies_to(touchpoints)))
        .values("origin")
        .annotate(
            messages=Count("pk"),
            sent=Count("pk", filter=sent),
            delivered=Count("pk", filter=Q(status__in=DELIVERED_OR_LATER)),
            read=Count("pk", filter=Q(status=MessageStatus.READ)),
            replied=Count("pk", filter=sent & Q(guest_replied=True)),
            form_completed=Count(
                "pk",
                filter=sent
                & Q(
                    reservation__feedback_status=FeedbackStatus.COMPLETED,
                    reservation__feedback_source=FeedbackSource.FORM,
                ),
            ),
            failed=Count("pk", filter=Q(status=MessageStatus.FAILED)),
        )
        .order_by()
    )
    found = {str(row["origin"]): cast(dict[str, int], row) for row in rows}
    names = dict(Trigger.choices)
    result = []
    for touchpoint in touchpoints:
        row = found.get(touchpoint, {})
        result.append(
            FunnelRow(
                touchpoint=touchpoint,
                name=str(names[touchpoint]),
                messages=row.get("messages", 0),
                sent=row.get("sent", 0),
                delivered=row.get("delivered", 0),
                read=row.get("read", 0),
                replied=row.get("replied", 0),
                form_completed=(
                    row.get("form_completed", 0) if touchpoint == Trigger.POST_STAY else None
                ),
                failed=row.get("failed", 0),
            )
        )
    return result


def _replies_to(touchpoints: Sequence[str]) -> QuerySet[MessageLog]:
    """The guest's messages in the outer touchpoint message's chat, inside its reply window and
    before the chat's next touchpoint message."""
    next_touchpoint = MessageLog.objects.filter(
        tenant=OuterRef(OuterRef("tenant")),
        chat_id=OuterRef(OuterRef("chat_id")),
        direction=Direction.OUTBOUND,
        origin__in=touchpoints,
        created_at__gt=OuterRef(OuterRef("went_at")),
        created_at__lt=OuterRef("created_at"),
    ).exclude(pk=OuterRef(OuterRef("pk")))
    return (
        MessageLog.objects.filter(
            tenant=OuterRef("tenant"),
            chat_id=OuterRef("chat_id"),
            direction=Direction.INBOUND,
            created_at__gt=OuterRef("went_at"),
            created_at__lte=OuterRef("window_end"),
        )
        .exclude(chat_id="")
        .exclude(Exists(next_touchpoint))
    )


# --- first response ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseTimes:
    seconds: list[float]  # sorted

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def p90(self) -> float | None:
        """Nearest rank: the time within which 90 % of the waits were answered."""
        if not self.seconds:
            return None
        return self.seconds[math.ceil(0.9 * len(self.seconds)) - 1]

    @property
    def median_text(self) -> str:
        return readable_duration(self.median)

    @property
    def p90_text(self) -> str:
        return readable_duration(self.p90)


@dataclass(frozen=True)
class FirstResponses:
    agent: ResponseTimes
    staff: ResponseTimes
    unanswered: int

    @property
    def waits(self) -> int:
        return self.agent.count + self.staff.count + self.unanswered

    @property
    def overall(self) -> ResponseTimes:
        return ResponseTimes(sorted(self.agent.seconds + self.staff.seconds))

    @property
    def agent_share(self) -> Share:
        return Share(self.agent.count, self.waits)

    @property
    def staff_share(self) -> Share:
        return Share(self.staff.count, self.waits)

    @property
    def unanswered_share(self) -> Share:
        return Share(self.unanswered, self.waits)


def first_responses(request: TenantRequest, period: Period) -> FirstResponses:
    answers = MessageLog.objects.filter(
        tenant=OuterRef("tenant"),
        chat_id=OuterRef("chat_id"),
        direction=Direction.OUTBOUND,
        origin__in=ANSWER_ORIGINS,
    ).exclude(status=MessageStatus.FAILED)
    # The chat's previous guest message or answer: a guest message after another guest message
    # is the same wait, not a new one.
    previous_word = (
        MessageLog.objects.filter(
            tenant=OuterRef("tenant"),
            chat_id=OuterRef("chat_id"),
            created_at__lt=OuterRef("created_at"),
        )
        .filter(
            Q(direction=Direction.INBOUND)
            | Q(direction=Direction.OUTBOUND, origin__in=ANSWER_ORIGINS)
            & ~Q(status=MessageStatus.FAILED)
        )
        .order_by("-created_at", "-pk")
        .values("direction")[:1]
    )
    first_answer = answers.filter(created_at__gt=OuterRef("created_at")).order_by(
        "created_at", "pk"
    )
    waits = (
        tenant_queryset(request, MessageLog)
        .filter(direction=Direction.INBOUND, created_at__gte=period.start)
        .exclude(chat_id="")
        .alias(previous=Subquery(previous_word))
        .filter(Q(previous__isnull=True) | ~Q(previous=Direction.INBOUND))
        .annotate(
            answered_at=Subquery(first_answer.values("created_at")[:1]),
            answered_by=Subquery(first_answer.values("origin")[:1]),
        )
        .values_list("created_at", "answered_at", "answered_by")
    )
    agent: list[float] = []
    staff: list[float] = []
    unanswered = 0
    for asked_at, answered_at, answered_by in waits:
        if answered_at is None:
            unanswered += 1
            continue
        seconds = max((answered_at - asked_at).total_seconds(), 0.0)
        (agent if answered_by in AGENT_ORIGINS else staff).append(seconds)
    return FirstResponses(
        agent=ResponseTimes(sorted(agent)),
        staff=ResponseTimes(sorted(staff)),
        unanswered=unanswered,
    )


def readable_duration(seconds: float | None) -> str:
    """ "40 s", "12 min", "3 h 5 min", "2 d 4 h": the two largest units, for a quick read."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return _("%(seconds)s s") % {"seconds": whole}
    minutes = whole // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


# --- the dashboard's card --------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    period: Period
    ratings: RatingSummary
    response_rate: ResponseRate
    first_response: ResponseTimes


def summary(request: TenantRequest, days: int = DEFAULT_PERIOD) -> Summary:
    """The dashboard's card in two queries: the ratings and the response rate in one aggregate
    over the hotel's reservations, then the waits' timestamps."""
    period = period_for(request, days)
    given = Q(
        feedback_status=FeedbackStatus.COMPLETED,
        feedback_rating__isnull=False,
        feedback_submitted_at__gte=period.start,
    )
    asked = Q(
        check_out__gte=period.first_day,
        feedback_status__in=[FeedbackStatus.PENDING, FeedbackStatus.COMPLETED],
    )
    figures = (
        tenant_queryset(request, Reservation)
        .filter(given | asked)
        .aggregate(
            average=Avg("feedback_rating", filter=given),
            count=Count("pk", filter=given),
            requested=Count("pk", filter=asked),
            completed=Count("pk", filter=asked & Q(feedback_status=FeedbackStatus.COMPLETED)),
        )
    )
    return Summary(
        period=period,
        ratings=RatingSummary(average=figures["average"], count=figures["count"], distribution=[]),
        response_rate=ResponseRate(requested=figures["requested"], completed=figures["completed"]),
        first_response=first_responses(request, period).overall,
    )
