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
from pydantic import ValidationError

from automation import events, pms_webhook, queue, scheduler
from automation.models import AutomationJob, JobStatus
from innbox import json_input
from innbox.logs import ErrorCategory, get_logger
from innbox.redirects import back_to
from pms.models import PMSConfiguration
from tenancy.access import MemberRequest, get_for_member, member_required, tenant_queryset
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)


def _refuse(status: int, reason: str) -> JsonResponse:
    log.warning("pms_webhook_refused", reason=reason, error_category=ErrorCategory.VALIDATION)
    return JsonResponse({"error": reason}, status=status)


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


@csrf_exempt  # authenticated by its signature instead
@require_POST
def pms_webhook_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    tenant_id = pms_webhook.tenant_id_for(public_id)
    if tenant_id is None:
        return _refuse(404, "unknown hotel")
    with acting_for_tenant(tenant_id):
        tenant = Tenant.objects.get(pk=tenant_id)
        config = PMSConfiguration.objects.filter(tenant=tenant).first()
    refusal = pms_webhook.verify(request, pms_webhook.secret_for(config))
    if refusal is not None:
        return _refuse(refusal.status, refusal.reason)
    try:
        payload = json_input.load(request.body)
        event = pms_webhook.PushEvent.model_validate(payload)
    except json_input.MalformedJson as problem:
        return _refuse(400, f"malformed event: {problem}")
    except ValidationError as problem:
        return _refuse(400, f"malformed event: {json_input.describe(problem)}")
    webhook_id = request.headers["webhook-id"]
    try:
        counts = pms_webhook.ingest(
            tenant, webhook_id, event, payload, getattr(request, "request_id", "")
        )
    except events.ConcurrentChange:
        # Nothing was kept: the sender's retry applies the event on top of the other change.
        return _refuse(409, "another event changed this reservation at the same time; send again")
    if counts is None:
        log.info("pms_webhook_duplicate", webhook_id=webhook_id)
        return JsonResponse({"status": "duplicate"})
    if counts.stale:
        # Stored all the same: a redelivery of it is a duplicate, not news.
        log.info("pms_webhook_stale", webhook_id=webhook_id)
        return JsonResponse({"status": "ignored", "reason": "stale", **counts.__dict__})
    log.info("pms_webhook_applied", webhook_id=webhook_id, **counts.__dict__)
    return JsonResponse({"status": "applied", **counts.__dict__})


STATES = [
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.RETRYING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.DEAD,
    JobStatus.CANCELLED,
]


@member_required
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


@member_required
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


@member_required
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
