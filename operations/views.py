from __future__ import annotations

import hmac

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from innbox.logs import ErrorCategory, get_logger
from operations import metrics, readiness
from tenancy.permissions import public

log = get_logger(__name__)


@public
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, migrations are applied and a worker runs; 503 otherwise,
    naming what is not ready."""
    checks = readiness.checks()
    ready = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ready" if ready else "unready",
            "checks": {check.name: check.detail for check in checks},
        },
        status=200 if ready else 503,
    )


@public  # its bearer token instead (METRICS_TOKEN)
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape, for the holder of METRICS_TOKEN only; off (404) without one."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse(
            "metrics are off: set METRICS_TOKEN to turn them on\n",
            status=404,
            content_type="text/plain",
        )
    scheme, _space, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        offered.strip().encode(), token.encode()
    ):
        log.warning("metrics_refused", error_category=ErrorCategory.VALIDATION)
        response = HttpResponse(
            "a valid bearer token is required (METRICS_TOKEN)\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="innbox-metrics"'
        return response
    try:
        body = metrics.scrape()
    except DatabaseError as exc:
        log.error(
            "metrics_database_unreachable", error=str(exc), error_category=ErrorCategory.RETRYABLE
        )
        return HttpResponse("the database did not answer\n", status=503, content_type="text/plain")
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
