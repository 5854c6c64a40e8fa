"""Request correlation: every request gets one request_id, bound to its logs and returned."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

from innbox import metrics
from innbox.logs import get_logger

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id (a proxy or the PMS) only if it is short and plain, so logs stay clean.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

log = get_logger(__name__)


def _request_id_for(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _ACCEPTABLE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Cleared at the start, not the end: Django logs 4xx/5xx responses ("django.request")
        # after the middleware chain returns, and those lines need the request_id too.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        duration = time.perf_counter() - started
        log.info(
            "request_finished",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round(duration * 1000, 1),
        )
        metrics.observe_request(request, response, duration)
        return response
