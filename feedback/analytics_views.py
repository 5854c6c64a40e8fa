"""/feedback/: the hotel's ratings, the touchpoint funnel and first-response times
(the figures come from feedback.analytics; definitions in docs/analytics.md)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from feedback import analytics
from tenancy.access import MemberRequest
from tenancy.permissions import SEE_HOTEL, requires


@requires(SEE_HOTEL)
def feedback_analytics(request: MemberRequest) -> HttpResponse:
    days = analytics.chosen_days(request.GET.get("days"))
    period = analytics.period_for(request, days)
    funnel = analytics.funnel(request, period)
    return render(
        request,
        "feedback/analytics.html",
        {
            "period": period,
            "periods": analytics.PERIODS,
            "ratings": analytics.rating_summary(request, period),
            "trend": analytics.rating_trend(request, period),
            "topics": analytics.topic_scores(request, period),
            "comments": analytics.latest_comments(request, period),
            "response_rate": analytics.response_rate(request, period),
            "funnel": funnel,
            "funnel_total": sum(row.messages for row in funnel),
            "first_responses": analytics.first_responses(request, period),
            "reply_window_hours": int(analytics.REPLY_WINDOW.total_seconds() // 3600),
        },
    )
