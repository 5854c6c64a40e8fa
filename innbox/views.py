from __future__ import annotations

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from innbox import openapi
from innbox.logs import ErrorCategory, get_logger

log = get_logger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and uptime checks: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.error(
            "healthz_database_unreachable",
            error=str(exc),
            error_category=ErrorCategory.RETRYABLE,
        )
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def openapi_document(request: HttpRequest) -> JsonResponse:
    """The API's OpenAPI 3.1 document (innbox/openapi.py, docs/api.md): public, like the code
    it describes; it names no hotel and no secret."""
    return JsonResponse(openapi.document())
