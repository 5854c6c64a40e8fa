from __future__ import annotations

import json
from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from automation import pms_webhook
from innbox.logs import ErrorCategory, get_logger
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)


def _refuse(status: int, reason: str) -> JsonResponse:
    log.warning("pms_webhook_refused", reason=reason, error_category=ErrorCategory.VALIDATION)
    return JsonResponse({"error": reason}, status=status)


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
        payload = json.loads(request.body)
        event = pms_webhook.PushEvent.model_validate(payload)
    except (ValueError, ValidationError) as problem:
        return _refuse(400, f"malformed event: {str(problem)[:300]}")
    webhook_id = request.headers["webhook-id"]
    counts = pms_webhook.ingest(
        tenant, webhook_id, event, payload, getattr(request, "request_id", "")
    )
    if counts is None:
        log.info("pms_webhook_duplicate", webhook_id=webhook_id)
        return JsonResponse({"status": "duplicate"})
    log.info("pms_webhook_applied", webhook_id=webhook_id, **counts.__dict__)
    return JsonResponse({"status": "applied", **counts.__dict__})
