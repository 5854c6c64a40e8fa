"""The one seam for outbound HTTP: every client (WAHA, PMS, LLM) builds its httpx.Client here.

It guarantees a timeout, a User-Agent, the current request_id as X-Request-ID (so the far end's
logs can be joined with ours), and one log line per call without headers or bodies, which may
carry secrets. A client for an address a tenant entered (`guard_addresses=True`) connects only to
addresses innbox.netguard allows, checked at every connection.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import structlog

from innbox.integrations import IntegrationError
from innbox.logs import get_logger
from innbox.netguard import GuardedTransport

USER_AGENT = "Innbox/0.1 (+https://github.com/innbox)"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

log = get_logger(__name__)


def _log_request(request: httpx.Request) -> None:
    request.extensions["innbox_started"] = time.perf_counter()
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        request.headers["X-Request-ID"] = request_id


def _log_response(response: httpx.Response) -> None:
    started = response.request.extensions.get("innbox_started", time.perf_counter())
    log.info(
        "outbound_http",
        method=response.request.method,
        host=response.request.url.host,
        path=response.request.url.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def make_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    guard_addresses: bool = False,
    transport: httpx.BaseTransport | None = None,
    **kwargs: Any,
) -> httpx.Client:
    # A transport passed in replaces the network (tests' fakes); the guard sits on the real one.
    if guard_addresses and transport is None:
        transport = GuardedTransport()
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)) if timeout else DEFAULT_TIMEOUT,
        event_hooks={"request": [_log_request], "response": [_log_response]},
        follow_redirects=False,
        transport=transport,
        **kwargs,
    )


def send(
    client: httpx.Client,
    vendor: str,
    method: str,
    path: str,
    *,
    error: type[IntegrationError] = IntegrationError,
    **kwargs: Any,
) -> httpx.Response:
    """One request; a timeout or an unreachable host becomes a retryable `error` naming the vendor."""
    try:
        return client.request(method, path, **kwargs)
    except httpx.TimeoutException:
        raise error(
            f"{vendor} did not answer {method} {path} in time", retryable=True, code="timeout"
        ) from None
    except httpx.TransportError as exc:
        raise error(
            f"{vendor} could not be reached ({exc.__class__.__name__})",
            retryable=True,
            code="connection",
        ) from None
