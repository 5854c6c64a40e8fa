"""/settings/audit/: the hotel's audit log, newest first, for its owners."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from tenancy import audit
from tenancy.access import MemberRequest, tenant_queryset
from tenancy.models import AuditEntry
from tenancy.permissions import READ_AUDIT_LOG, requires

PAGE_SIZE = 50


@requires(READ_AUDIT_LOG)
def audit_log(request: MemberRequest) -> HttpResponse:
    entries = (
        tenant_queryset(request, AuditEntry)
        .select_related("content_type")
        .order_by("-timestamp", "-id")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tenancy/audit.html",
        {"page": page, "lines": [audit.present(entry) for entry in page]},
    )
