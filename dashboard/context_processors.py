from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from automation.models import AutomationJob, JobStatus
from conversations import services as conversations
from tenancy.models import UILanguage


def innbox(request: HttpRequest) -> dict[str, Any]:
    return {
        # Callables, so the template asks only when it shows them: a whole page does (one small
        # query each, once per request), the inbox's polled fragments do not.
        # The sidebar's count of jobs that need a person.
        "dead_jobs": partial(dead_job_count, request),
        # The sidebar's and the page title's unread guest messages.
        "inbox_unread": partial(inbox_unread, request),
        "sandbox_messaging": not settings.WAHA_BASE_URL,
        "is_owner": getattr(request, "role", None) == "owner",
        "ui_languages": UILanguage.choices,
    }


def dead_job_count(request: HttpRequest) -> int:
    """Dead jobs of the request's hotel, counted once per request (sidebar and dashboard)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return 0
    cached: int | None = getattr(request, "_innbox_dead_jobs", None)
    if cached is None:
        cached = AutomationJob.objects.filter(tenant=tenant, status=JobStatus.DEAD).count()
        request._innbox_dead_jobs = cached  # type: ignore[attr-defined]
    return cached


def inbox_unread(request: HttpRequest) -> int:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return 0
    cached: int | None = getattr(request, "_innbox_inbox_unread", None)
    if cached is None:
        cached = conversations.unread_messages(tenant)
        request._innbox_inbox_unread = cached  # type: ignore[attr-defined]
    return cached
