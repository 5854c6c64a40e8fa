from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from agent import boards
from automation.models import AutomationJob, JobStatus
from conversations import services as conversations
from tenancy.models import UILanguage
from tenancy.permissions import allowed_keys


def innbox(request: HttpRequest) -> dict[str, Any]:
    return {
        # Callables, so the template asks only when it shows them: a whole page does (one small
        # query each, once per request), the inbox's polled fragments do not.
        # The sidebar's count of jobs that need a person.
        "dead_jobs": partial(dead_job_count, request),
        # The sidebar's and the page title's unread guest messages.
        "inbox_unread": partial(inbox_unread, request),
        # Open orders and requests beside their menu entries: one indexed query, made only by a
        # template that shows them (the sidebar), not by every fragment.
        "open_counts": SimpleLazyObject(lambda: open_counts(request)),
        "sandbox_messaging": not settings.WAHA_BASE_URL,
        "is_owner": getattr(request, "role", None) == "owner",
        # What this person may do (tenancy.permissions): {% if "edit_templates" in can %}.
        "can": allowed_keys(getattr(request, "role", None)),
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


def open_counts(request: HttpRequest) -> boards.OpenCounts:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return boards.OpenCounts(orders=0, requests=0)
    return boards.open_counts(tenant)
