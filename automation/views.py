from __future__ import annotations

import hmac
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from automation import queue, scheduler
from automation.models import AutomationJob, JobStatus
from innbox.logs import ErrorCategory, get_logger
from innbox.redirects import back_to
from tenancy.access import MemberRequest, get_for_member, tenant_queryset
from tenancy.permissions import CANCEL_AUTOMATION, RETRY_AUTOMATION, public, requires

log = get_logger(__name__)


@public
@csrf_exempt  # authenticated by its bearer secret instead
@require_POST
def cron_view(request: HttpRequest) -> HttpResponse:
    """An external cron's scheduler tick, for installations that prefer one to the worker's own
    minute clock. Ticking twice is harmless: scheduled jobs carry idempotency keys, and another
    tick still running keeps this one out (advisory lock)."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), settings.CRON_SECRET.encode()
    ):
        log.warning("cron_refused", error_category=ErrorCategory.VALIDATION)
        response = JsonResponse({"error": "a valid bearer token is required"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="innbox-cron"'
        return response
    queued = scheduler.tick()
    log.info("cron_tick", queued=queued)
    return JsonResponse({"status": "ok", "queued": queued})


STATES = [
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.RETRYING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.DEAD,
    JobStatus.CANCELLED,
]


@requires(RETRY_AUTOMATION)
def jobs_page(request: MemberRequest) -> HttpResponse:
    jobs = tenant_queryset(request, AutomationJob).select_related("reservation__guest")
    state = request.GET.get("state", "")
    if state in JobStatus.values:
        jobs = jobs.filter(status=state)
    counts = dict(
        tenant_queryset(request, AutomationJob)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    page = Paginator(jobs.order_by("-updated_at"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "automation/jobs.html",
        {
            "page": page,
            "state": state,
            "states": [(s, s.label, counts.get(s.value, 0)) for s in STATES],
        },
    )


@requires(RETRY_AUTOMATION)
@require_POST
def retry_job(request: MemberRequest, public_id: UUID) -> HttpResponse:
    """A person decided to try again: a dead or failed job goes back to the queue, now."""
    job = get_for_member(request, AutomationJob, public_id=public_id)
    updated = AutomationJob.objects.filter(
        pk=job.pk, status__in=[JobStatus.DEAD, JobStatus.FAILED]
    ).update(
        status=JobStatus.QUEUED,
        run_at=timezone.now(),
        attempts=0,
        finished_at=None,
        updated_at=timezone.now(),
    )
    if updated:
        messages.success(request, _("The job is queued again."))
    else:
        messages.error(request, _("Only failed or dead jobs can be retried."))
    return back_to(request, "back", "jobs")


@requires(CANCEL_AUTOMATION)
@require_POST
def cancel_job(request: MemberRequest, public_id: UUID) -> HttpResponse:
    job = get_for_member(request, AutomationJob, public_id=public_id)
    updated = queue.cancel_waiting(
        AutomationJob.objects.filter(pk=job.pk), "cancelled by staff on Automation"
    )
    if updated:
        messages.success(request, _("The job is cancelled: it will not run."))
    else:
        messages.error(request, _("Only waiting jobs can be cancelled."))
    return back_to(request, "back", "jobs")
