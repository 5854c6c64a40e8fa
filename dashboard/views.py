from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from automation import heartbeat
from automation.models import AutomationJob
from compliance.forms import ConsentEntryForm
from compliance.models import DataRequest
from conversations import ingest
from conversations import services as conversations
from dashboard import alerts, charts, stats
from dashboard.context_processors import dead_job_count, inbox_unread
from feedback import analytics as feedback_analytics
from feedback import services as feedback
from hotel.models import Guest, Reservation, ReservationStatus
from messaging import triggers
from messaging.models import MessageLog, MessageStatus, Trigger
from pms import services as pms_services
from pms.models import PMSConfiguration
from pms.views import sync_status_context
from tenancy.access import MemberRequest, get_for_member, tenant_queryset
from tenancy.permissions import SEE_HOTEL, requires
from whatsapp import click_to_chat, sessions
from whatsapp.models import SessionStatus, WahaConfiguration

NEEDS_REPLY_SHOWN = 5
LOW_RATINGS_SHOWN = 5
TIMELINE_LENGTH = 100
RECENT_RESERVATIONS = 8
# A regular can have stayed a hundred times; the page shows the latest, the rest stay in the PMS.
GUEST_STAYS_SHOWN = 50
JOBS_SHOWN = 20
CONSENT_HISTORY_SHOWN = 20
DATA_REQUESTS_SHOWN = 10


@requires(SEE_HOTEL)
def home(request: MemberRequest) -> HttpResponse:
    whatsapp = sessions.configuration_for(request.tenant)
    pms = pms_services.configuration_for(request.tenant)
    worker_last_seen = heartbeat.last_seen()
    context = {
        **sync_status_context(request),
        "stats": stats.for_tenant(request),
        "feedback": feedback_analytics.summary(request),
        "alerts": alerts.collect(
            alerts.AlertContext(
                dead_jobs=dead_job_count(request),
                whatsapp=whatsapp,
                pms=pms,
                sandbox=sessions.is_sandbox(),
                worker_last_seen=worker_last_seen,
                worker_running=heartbeat.is_running(worker_last_seen),
            )
        ),
        "setup": _setup_steps(whatsapp, pms),
        "message_chart": _message_chart(request),
        "movement_chart": _movement_chart(request),
        # Guests waiting for an answer: their conversation's last word is theirs.
        "needs_reply": conversations.needs_reply(request.tenant, limit=NEEDS_REPLY_SHOWN),
        "unread_count": inbox_unread(request),
        # Guests who rated their stay 2 or less: their conversation is escalated too.
        "low_ratings": feedback.recent_low_ratings(tenant_queryset(request, Reservation))[
            :LOW_RATINGS_SHOWN
        ],
        # What the front desk works with: stays in the house and the next arrivals.
        "recent_reservations": tenant_queryset(request, Reservation)
        .filter(check_out__gte=stats.hotel_today(request), status__in=["pre-arrival", "on-stay"])
        .select_related("guest")
        .order_by("check_in", "room_number")[:RECENT_RESERVATIONS],
    }
    return render(request, "dashboard/home.html", context)


def _setup_steps(whatsapp: WahaConfiguration | None, pms: PMSConfiguration | None) -> dict:
    """A new hotel's next steps; the template hides the panel once both are done."""
    whatsapp_done = whatsapp is not None and whatsapp.status == SessionStatus.WORKING
    return {
        "pms_done": pms is not None,
        "whatsapp_done": whatsapp_done,
        "show": pms is None or not whatsapp_done,
    }


def _message_chart(request: MemberRequest) -> dict:
    data = stats.messages_per_day(request)
    names = {
        "read": _("read"),
        "delivered": _("delivered"),
        "sent": _("sent"),
        "queued": _("queued"),
        "failed": _("failed"),
        "dead": _("dead"),
    }
    return {
        "data": data,
        "names": names,
        "chart": charts.stacked(data, names, label_every=2),
        "total": sum(data.total(day) for day in data.days),
    }


def _movement_chart(request: MemberRequest) -> dict:
    data = stats.arrivals_and_departures(request)
    names = {"arrivals": _("arrivals"), "departures": _("departures")}
    return {
        "data": data,
        "names": names,
        "chart": charts.grouped(data, names),
        "total": sum(data.total(day) for day in data.days),
    }


@requires(SEE_HOTEL)
def reservation_detail(request: MemberRequest, public_id: str) -> HttpResponse:
    reservation = get_for_member(
        request, Reservation.objects.select_related("guest"), public_id=public_id
    )
    timeline = list(reservation.messages.order_by("-created_at")[:TIMELINE_LENGTH])
    left_on = reservation.departure_day(ZoneInfo(request.tenant.time_zone))
    return render(
        request,
        "dashboard/reservation.html",
        {
            "reservation": reservation,
            # The day the guest left, when it was not the planned one.
            "left_on": left_on if left_on != reservation.check_out else None,
            "guest": reservation.guest,
            # The nights the guest stayed: to the day they left, when that came early.
            "nights": (left_on - reservation.check_in).days,
            "timeline": timeline,
            "sending": _sending(timeline),
            "jobs": automations_for(request, reservation)[:JOBS_SHOWN],
            "triggers": Trigger.choices,
            "chat_link": _chat_link(request, reservation),
        },
    )


def _chat_link(request: MemberRequest, reservation: Reservation) -> dict[str, str] | None:
    """The guest's own click-to-chat link, once the hotel's WhatsApp number is known; none for a
    stay that will not happen (its guest is nobody to invite)."""
    if reservation.status in (ReservationStatus.CANCELLED, ReservationStatus.NO_SHOW):
        return None
    config = sessions.configuration_for(request.tenant)
    if config is None or not config.phone_number:
        return None
    language = reservation.guest.language or request.tenant.default_language
    return click_to_chat.for_stay(
        config.phone_number, request.tenant.name, reservation.chat_token, language
    )


def _sending(timeline: list[MessageLog]) -> bool:
    """A message still on its way: the page refreshes its timeline until it is sent or failed."""
    return any(message.status == MessageStatus.QUEUED for message in timeline)


def automations_for(request: MemberRequest, reservation: Reservation) -> QuerySet[AutomationJob]:
    """The automation jobs of one stay: linked to it, or keyed for it or for its trip (one
    message for the rooms a guest booked for the same dates, linked to one of them).

    Jobs carry the reservation as a foreign key (indexed); the idempotency keys are matched
    exactly (the unique index) so a job written with only its key still shows.
    """
    keys = [
        key
        for trigger in Trigger.values
        for key in (
            triggers.per_reservation_key(reservation.pk, trigger),
            triggers.send_key(reservation, trigger),
        )
    ]
    return (
        tenant_queryset(request, AutomationJob)
        .filter(Q(reservation=reservation) | Q(idempotency_key__in=keys))
        # Staff's own sends are in the message timeline, not among the automations.
        .exclude(payload__has_key="message")
        .order_by("-run_at", "-pk")
    )


@requires(SEE_HOTEL)
def guest_detail(request: MemberRequest, public_id: str) -> HttpResponse:
    guest = get_for_member(request, Guest, public_id=public_id)
    timeline = list(
        guest.messages.select_related("reservation").order_by("-created_at")[:TIMELINE_LENGTH]
    )
    return render(
        request,
        "dashboard/guest.html",
        {
            "guest": guest,
            "reservations": guest.reservations.order_by("-check_in", "-pk")[:GUEST_STAYS_SHOWN],
            "timeline": timeline,
            "sending": _sending(timeline),
            "triggers": Trigger.choices,
            # How the guest's consent came to be where it is, newest first.
            "consent_history": guest.consent_events.select_related(
                "message", "recorded_by"
            ).order_by("-occurred_at", "-pk")[:CONSENT_HISTORY_SHOWN],
            "consent_form": ConsentEntryForm(),
            "data_requests": tenant_queryset(request, DataRequest)
            .filter(guest=guest)
            .select_related("requested_by")
            .order_by("-created_at")[:DATA_REQUESTS_SHOWN],
        },
    )


@requires(SEE_HOTEL)
@require_POST
def mark_messages_read(request: MemberRequest) -> HttpResponse:
    count = ingest.mark_read(request.tenant)
    messages.success(
        request,
        ngettext(
            "%(count)d guest message marked as read.",
            "%(count)d guest messages marked as read.",
            count,
        )
        % {"count": count},
    )
    return redirect("dashboard:home")
