from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def innbox(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    return {
        # The sidebar's count of jobs that need a person; one indexed count per page.
        "dead_jobs": _dead_jobs(tenant) if tenant is not None else 0,
        "sandbox_messaging": not settings.WAHA_BASE_URL,
        "is_owner": getattr(request, "role", None) == "owner",
    }


def _dead_jobs(tenant: Any) -> int:
    from automation.models import AutomationJob, JobStatus

    return AutomationJob.objects.filter(tenant=tenant, status=JobStatus.DEAD).count()
