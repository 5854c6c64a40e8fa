from __future__ import annotations

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from automation import triggers
from automation.models import AutomationJob
from dashboard import stats
from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog, Trigger
from pms.views import sync_status_context
from tenancy.access import MemberRequest, get_for_member, member_required, tenant_queryset
from whatsapp import inbound, sessions

UNREAD_SHOWN = 5
TIMELINE_LENGTH = 100
RECENT_RESERVATIONS = 8
# A regular can have stayed a hundred times; the page shows the latest, the rest stay in the PMS.
GUEST_STAYS_SHOWN = 50
JOBS_SHOWN = 20


@member_required
def home(request: MemberRequest) -> HttpResponse:
    unread = tenant_queryset(request, MessageLog).filter(
        direction=Direction.INBOUND, staff_read_at__isnull=True
    )
    context = {
        **sync_status_context(request),
        "stats": stats.for_tenant(request),
        "whatsapp": sessions.configuration_for(request.tenant),
        "unread_count": unread.count(),
        "unread_messages": unread.select_related("guest").order_by("-created_at")[:UNREAD_SHOWN],
        # What the front desk works with: stays in the house and the next arrivals.
        "recent_reservations": tenant_queryset(request, Reservation)
        .filter(check_out__gte=stats.hotel_today(request), status__in=["pre-arrival", "on-stay"])
        .select_related("guest")
        .order_by("check_in", "room_number")[:RECENT_RESERVATIONS],
    }
    return render(request, "dashboard/home.html", context)


@member_required
def reservation_detail(request: MemberRequest, public_id: str) -> HttpResponse:
    reservation = get_for_member(
        request, Reservation.objects.select_related("guest"), public_id=public_id
    )
    timeline = reservation.messages.order_by("-created_at")[:TIMELINE_LENGTH]
    return render(
        request,
        "dashboard/reservation.html",
        {
            "reservation": reservation,
            "guest": reservation.guest,
            "nights": (reservation.check_out - reservation.check_in).days,
            "timeline": timeline,
            "jobs": automations_for(request, reservation)[:JOBS_SHOWN],
            "triggers": Trigger.choices,
        },
    )


def automations_for(request: MemberRequest, reservation: Reservation) -> QuerySet[AutomationJob]:
    """The automation jobs of one stay: linked to it, or keyed `<reservation id>:<trigger>`.

    Jobs carry the reservation as a foreign key (indexed); the idempotency keys are matched
    exactly (the unique index) so a job written with only its key still shows.
    """
    keys = [triggers.idempotency_key(reservation.pk, trigger) for trigger in Trigger.values]
    return (
        tenant_queryset(request, AutomationJob)
        .filter(Q(reservation=reservation) | Q(idempotency_key__in=keys))
        .order_by("-run_at", "-pk")
    )


@member_required
def guest_detail(request: MemberRequest, public_id: str) -> HttpResponse:
    guest = get_for_member(request, Guest, public_id=public_id)
    timeline = guest.messages.select_related("reservation").order_by("-created_at")[
        :TIMELINE_LENGTH
    ]
    return render(
        request,
        "dashboard/guest.html",
        {
            "guest": guest,
            "reservations": guest.reservations.order_by("-check_in", "-pk")[:GUEST_STAYS_SHOWN],
            "timeline": timeline,
            "triggers": Trigger.choices,
        },
    )


@member_required
@require_POST
def mark_messages_read(request: MemberRequest) -> HttpResponse:
    count = inbound.mark_read(request.tenant)
    messages.success(request, f"{count} guest message{'s' if count != 1 else ''} marked as read.")
    return redirect("dashboard:home")
