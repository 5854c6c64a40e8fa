"""What only a running process can count: request latency and webhook refusals (docs/metrics.md).

Everything else on /metrics is read from the database at scrape time (operations.metrics), so it
is the same whichever process answers. These two are not in the database. Gunicorn runs several
processes (WEB_CONCURRENCY) and a scrape reaches one of them, so `deploy/innbox web` sets
PROMETHEUS_MULTIPROC_DIR (emptied at each start): prometheus-client then keeps each process's
values in files there and a scrape adds up every process's, including those gunicorn recycled.
Without it (runserver, tests) the values live in this process only.

Webhook refusals are counted from the refusal log lines themselves (a structlog processor), so the
metric and the log can never disagree and a new refusal anywhere in the webhooks is counted.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess

# Seconds; a page should answer well under a second, a webhook under five (WAHA and PMS time out).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_DURATION = Histogram(
    "innbox_http_request_duration_seconds",
    "Time from request to response, by method, URL pattern and status class.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)
WEBHOOK_REFUSALS = Counter(
    "innbox_webhook_refusals_total",
    "Webhooks refused before anything was stored, by source (waha, pms) and reason.",
    ["source", "reason"],
    registry=None,
)
PROCESS_METRICS = (REQUEST_DURATION, WEBHOOK_REFUSALS)

# The log events that mean "a webhook was refused", and whose webhook it was.
REFUSAL_EVENTS = {"waha_webhook_refused": "waha", "pms_webhook_refused": "pms"}
REASON_LABEL_LENGTH = 60


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry() -> CollectorRegistry:
    """A registry with this installation's process metrics: every gunicorn process's, added up,
    in multiprocess mode; this process's otherwise."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    return registry


def route_of(request: HttpRequest) -> str:
    """The URL pattern, never the path: paths carry ids, and every id would be a new series."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def observe_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    REQUEST_DURATION.labels(
        method=request.method if request.method in _METHODS else "other",
        route=route_of(request),
        status=f"{response.status_code // 100}xx",
    ).observe(seconds)


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def refusal_reason(reason: str) -> str:
    """A bounded label: "malformed event: <what pydantic said>" counts as "malformed event"."""
    label = reason.split(":", 1)[0].strip().lower()[:REASON_LABEL_LENGTH]
    return label or "unspecified"


def count_webhook_refusals(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: a `*_webhook_refused` line is one refusal of that source."""
    source = REFUSAL_EVENTS.get(str(event_dict.get("event", "")))
    if source is not None:
        reason = refusal_reason(str(event_dict.get("reason", "")))
        WEBHOOK_REFUSALS.labels(source=source, reason=reason).inc()
    return event_dict
