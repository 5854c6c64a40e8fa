"""Stand-ins for /guests/ and /reservations/ so the sidebar's links resolve.

The real list pages are built on another branch; when it is merged, its views replace these
two and this module is deleted.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tenancy.access import MemberRequest, member_required


@member_required
def guest_list(request: MemberRequest) -> HttpResponse:
    return render(request, "dashboard/list_placeholder.html", {"title": _("Guests")})


@member_required
def reservation_list(request: MemberRequest) -> HttpResponse:
    return render(request, "dashboard/list_placeholder.html", {"title": _("Reservations")})
