from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from dashboard import stats
from tenancy.access import MemberRequest, member_required


@member_required
def home(request: MemberRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", {"stats": stats.for_tenant(request)})
