"""/settings/pms/ (owner) and "Sync now" (everyone of the hotel)."""

from __future__ import annotations

from uuid import UUID

import structlog
from django.conf import settings
from django.contrib import messages
from django.db import transaction
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
from tenancy.access import MemberRequest, tenant_queryset
from tenancy.permissions import CONNECT_PMS, SYNC_PMS, public, requires

HISTORY_LENGTH = 10

log = get_logger(__name__)


@requires(CONNECT_PMS)
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
        credentials = form.cleaned_data["credentials"]
        # Encrypting again changes the stored text even for the same credentials; the audit log
        # would then say they changed.
        if not config.credentials_encrypted or credentials != config.get_credentials():
            config.set_credentials(credentials)
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


@requires(CONNECT_PMS)
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


@requires(CONNECT_PMS)
@require_POST
def test_connection(request: MemberRequest) -> HttpResponse:
    try:
        result = services.test_connection(request.tenant)
    except (IntegrationError, services.NotConnected) as problem:
        messages.error(request, _("Connection failed: %(problem)s") % {"problem": problem})
    else:
        messages.success(request, _("Connection works. %(result)s") % {"result": result})
    return redirect("pms_settings")


@requires(SYNC_PMS)
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
@requires(SYNC_PMS)
@require_GET
def sync_status(request: MemberRequest) -> HttpResponse:
    return _sync_status_widget(request)


def _sync_status_widget(request: MemberRequest) -> HttpResponse:
    return render(request, "pms/partials/sync_status.html", sync_status_context(request))


def sync_status_context(request: MemberRequest) -> dict[str, object]:
    job = queue.pending(request.tenant, JobKind.PMS_SYNC)
    latest = tenant_queryset(request, SyncRun).order_by("-started_at").first()
    return {"sync_job": job, "latest_run": latest, "syncing": job is not None}


@requires(CONNECT_PMS)
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


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@public
@csrf_exempt  # authenticated by its signature instead
@require_POST
def pms_webhook_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One transaction from the hotel's lookup to the answer: its first statement finds the
    hotel and sets the context for it (set once), and a refusal rolls it back, storing nothing."""
    try:
        with transaction.atomic():
            return _receive(request, public_id)
    except _Refused as refused:
        return _refuse(refused.status, refused.reason)
    except events.ConcurrentChange:
        # Nothing was kept: the sender's retry applies the event on top of the other change.
        return _refuse(409, "another event changed this reservation at the same time; send again")


def _receive(request: HttpRequest, public_id: UUID) -> HttpResponse:
    tenant_id = lookups.act_for_tenant_by_public_id(public_id)
    if tenant_id is None:
        raise _Refused(404, "unknown hotel")
    config = PMSConfiguration.objects.select_related("tenant").filter(tenant_id=tenant_id).first()
    refusal = pms_webhook.verify(request, pms_webhook.secret_for(config))
    if refusal is not None:
        raise _Refused(refusal.status, refusal.reason)
    assert config is not None  # a hotel without a PMS has no secret: refused above
    try:
        payload = json_input.load(request.body)
        event = pms_webhook.PushEvent.model_validate(payload)
    except json_input.MalformedJson as problem:
        raise _Refused(400, f"malformed event: {problem}") from None
    except ValidationError as problem:
        raise _Refused(400, f"malformed event: {json_input.describe(problem)}") from None
    webhook_id = request.headers["webhook-id"]
    with structlog.contextvars.bound_contextvars(tenant_id=str(tenant_id)):
        counts = pms_webhook.ingest(
            config.tenant, webhook_id, event, payload, getattr(request, "request_id", "")
        )
    if counts is None:
        log.info("pms_webhook_duplicate", webhook_id=webhook_id)
        return JsonResponse({"status": "duplicate"})
    if counts.stale:
        # Stored all the same: a redelivery of it is a duplicate, not news.
        log.info("pms_webhook_stale", webhook_id=webhook_id)
        return JsonResponse({"status": "ignored", "reason": "stale", **counts.__dict__})
    log.info("pms_webhook_applied", webhook_id=webhook_id, **counts.__dict__)
    return JsonResponse({"status": "applied", **counts.__dict__})
