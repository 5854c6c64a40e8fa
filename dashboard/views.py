from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dashboard import stats
from messaging.models import Direction, MessageLog
from tenancy.access import MemberRequest, member_required, tenant_queryset
from whatsapp import inbound, sessions

UNREAD_SHOWN = 5


@member_required
def home(request: MemberRequest) -> HttpResponse:
    unread = tenant_queryset(request, MessageLog).filter(
        direction=Direction.INBOUND, staff_read_at__isnull=True
    )
    context = {
        "stats": stats.for_tenant(request),
        "whatsapp": sessions.configuration_for(request.tenant),
        "unread_count": unread.count(),
        "unread_messages": unread.select_related("guest").order_by("-created_at")[:UNREAD_SHOWN],
    }
    return render(request, "dashboard/home.html", context)


@member_required
@require_POST
def mark_messages_read(request: MemberRequest) -> HttpResponse:
    count = inbound.mark_read(request.tenant)
    messages.success(request, f"{count} guest message{'s' if count != 1 else ''} marked as read.")
    return redirect("dashboard:home")
