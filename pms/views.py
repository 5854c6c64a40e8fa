"""/settings/pms/ (owner) and "Sync now" (everyone of the hotel)."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import ValidationError

from automation import events, queue
from automation.models import JobKind
from innbox import json_input
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from innbox.redirects import back_to
from pms import services
from pms import webhook as pms_webhook
from pms.adapters.demo import DemoAdapter
from pms.forms import CREDENTIAL_FIELDS, PMSForm
from pms.models import PMSConfiguration, SyncRun, SyncStatus
from tenancy import lookups
from tenancy.access import MemberRequest, member_required, owner_required, tenant_queryset
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

HISTORY_LENGTH = 10

log = get_logger(__name__)


@owner_required
def pms_settings(request: MemberRequest) -> HttpResponse:
    config = services.configuration_for(request.tenant)
    initial = (
        {"provider": config.provider, "base_url": config.base_url}
        if config
        else {"provider": "demo"}
    )
    form = PMSForm(request.POST or None, existing=config, initial=initial)
    if request.method == "POST" and form.is_valid():
        config = config or PMSConfiguration(tenant=request.tenant)
        config.provider = form.cleaned_data["provider"]
        config.base_url = form.cleaned_data["base_url"]
        config.set_credentials(form.cleaned_data["credentials"])
        config.is_active = True
        config.save()
        messages.success(request, _("PMS connection saved. Test it, then sync."))
        return redirect("pms_settings")
    history = tenant_queryset(request, SyncRun).order_by("-started_at")[:HISTORY_LENGTH]
    return render(
        request,
        "pms/settings.html",
        {
            "form": form,
            "config": config,
            "history": history,
            "credential_fields": CREDENTIAL_FIELDS,
            "is_demo": bool(config and config.provider == DemoAdapter.provider),
            **sync_status_context(request),
            "webhook_url": f"{settings.APP_URL}{reverse('pms_webhook', args=[request.tenant.public_id])}",
            "webhook_secret": pms_webhook.secret_for(config),
            "demo_today": DemoAdapter(credentials=config.get_credentials()).today
            if config and config.provider == DemoAdapter.provider
            else None,
        },
    )


@owner_required
@require_POST
def rotate_webhook_secret(request: MemberRequest) -> HttpResponse:
    config = services.configuration_for(request.tenant)
    if config is None:
        messages.error(request, _("Connect a PMS first."))
    else:
        pms_webhook.rotate_secret(config)
        messages.success(
            request,
            _("New signing secret created. Give it to your PMS; the old one no longer works."),
        )
    return redirect("pms_settings")


@owner_required
@require_POST
def test_connection(request: MemberRequest) -> HttpResponse:
    try:
        result = services.test_connection(request.tenant)
    except (IntegrationError, services.NotConnected) as problem:
        messages.error(request, _("Connection failed: %(problem)s") % {"problem": problem})
    else:
        messages.success(request, _("Connection works. %(result)s") % {"result": result})
    return redirect("pms_settings")


@member_required
@require_POST
def sync_now(request: MemberRequest) -> HttpResponse:
    """Queue a sync (the worker runs it); the status widget shows its progress and result."""
    try:
        services.adapter_for_tenant(request.tenant)
    except services.NotConnected as problem:
        messages.error(request, str(problem))
    else:
        if queue.pending(request.tenant, JobKind.PMS_SYNC) is None:
            queue.enqueue(request.tenant, JobKind.PMS_SYNC, {"trigger": "manual"})
        messages.info(request, _("Sync started. Its progress shows below."))
    if request.htmx:  # type: ignore[attr-defined]
        return _sync_status_widget(request)
    return back_to(request, "next", "dashboard:home")


@never_cache
@member_required
@require_GET
def sync_status(request: MemberRequest) -> HttpResponse:
    return _sync_status_widget(request)


def _sync_status_widget(request: MemberRequest) -> HttpResponse:
    return render(request, "pms/partials/sync_status.html", sync_status_context(request))


def sync_status_context(request: MemberRequest) -> dict[str, object]:
    job = queue.pending(request.tenant, JobKind.PMS_SYNC)
    latest = tenant_queryset(request, SyncRun).order_by("-started_at").first()
    return {"sync_job": job, "latest_run": latest, "syncing": job is not None}


@owner_required
@require_POST
def advance_demo(request: MemberRequest) -> HttpResponse:
    try:
        run = services.advance_demo(request.tenant)
    except services.NotConnected as problem:
        messages.error(request, str(problem))
    else:
        _announce(request, run, prefix=_("The demo moved on one day.") + " ")
    return redirect("pms_settings")


def _announce(request: MemberRequest, run: SyncRun, prefix: str = "") -> None:
    if run.status == SyncStatus.SUCCEEDED:
        messages.success(
            request,
            prefix
            + _(
                "Sync finished: %(created)d new, %(updated)d updated, %(unchanged)d unchanged, "
                "%(transitions)d status changes."
            )
            % {
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "transitions": run.transitions,
            },
        )
    else:
        messages.error(request, prefix + _("Sync failed: %(error)s") % {"error": run.error})


def _refuse(status: int, reason: str) -> JsonResponse:
    log.warning("pms_webhook_refused", reason=reason, error_category=ErrorCategory.VALIDATION)
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt  # authenticated by its signature instead
@require_POST
def pms_webhook_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    tenant_id = lookups.tenant_by_public_id(public_id)
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
