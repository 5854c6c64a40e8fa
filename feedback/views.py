from __future__ import annotations

from django.db.models import Avg, Count
from django.http import HttpResponse
from django.shortcuts import render

from hotel.models import FeedbackStatus, Reservation
from tenancy.access import MemberRequest, tenant_queryset
from tenancy.permissions import SEE_HOTEL, requires


@requires(SEE_HOTEL)
def feedback_list(request: MemberRequest) -> HttpResponse:
    answered = tenant_queryset(request, Reservation).filter(
        feedback_status=FeedbackStatus.COMPLETED
    )
    summary = answered.aggregate(average=Avg("feedback_rating"), count=Count("pk"))
    return render(
        request,
        "feedback/list.html",
        {
            "answers": answered.select_related("guest").order_by("-feedback_submitted_at")[:100],
            "summary": summary,
        },
    )
