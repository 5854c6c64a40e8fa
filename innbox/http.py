"""The one seam for outbound HTTP: every client (WAHA, PMS, LLM) builds its httpx.Client here.

A client that is called per message (WAHA) is shared: `shared_client` keeps one per process and
base URL, since building one loads the CA bundle (about 55 ms of CPU) and its pool keeps the
connection open between calls.

It guarantees a timeout, a deadline for the whole answer (httpx's timeouts are per read, so a
server that trickles a byte every few seconds would otherwise hold a worker forever), a User-Agent, the current request_id as X-Request-ID (so the far end's
logs can be joined with ours), and one log line per call without headers or bodies, which may
carry secrets. A client for an address a tenant entered (`guard_addresses=True`) connects only to
addresses innbox.netguard allows, checked at every connection.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import structlog

from innbox.integrations import IntegrationError
from innbox.logs import get_logger
from innbox.netguard import GuardedTransport

USER_AGENT = "Innbox/0.1 (+https://github.com/innbox)"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# The whole answer, body included, may take this many read timeouts.
DEADLINE_READS = 3

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


class _DeadlineStream(httpx.SyncByteStream):
    """A response body that gives up once the exchange's deadline has passed."""

    def __init__(
        self, inner: httpx.SyncByteStream, request: httpx.Request, deadline: float
    ) -> None:
        self._inner, self._request, self._deadline = inner, request, deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout(
                    "the answer took longer than its deadline", request=self._request
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx.BaseTransport):
    """Bounds the time from sending a request to the last byte of its answer's body. Checked
    as the body arrives: the status line and headers are bounded by the per-read timeout only
    (a server trickling its headers is rarer; a throttled proxy trickles bodies)."""

    def __init__(self, inner: httpx.BaseTransport, seconds: float) -> None:
        self._inner, self._seconds = inner, seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self._seconds
        response = self._inner.handle_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.SyncByteStream)
        response.stream = _DeadlineStream(stream, request, deadline)
        return response

    def close(self) -> None:
        self._inner.close()


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
    limits = httpx.Timeout(timeout, connect=min(timeout, 5.0)) if timeout else DEFAULT_TIMEOUT
    deadline = (limits.read or DEFAULT_TIMEOUT.read or 10.0) * DEADLINE_READS
    return httpx.Client(
        base_url=base_url,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=limits,
        transport=DeadlineTransport(transport or httpx.HTTPTransport(), deadline),
        event_hooks={"request": [_log_request], "response": [_log_response]},
        follow_redirects=False,
        **kwargs,
    )


# One client per (base URL, headers, timeout, guard), per process.
_SHARED: dict[tuple[Any, ...], httpx.Client] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_PID = os.getpid()


def shared_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    guard_addresses: bool = False,
) -> httpx.Client:
    """This process's client for `base_url` (with these headers and timeout), built once.

    Threads share it (httpx's connection pool is thread-safe). A forked process (gunicorn's
    workers, the worker's processes) never uses its parent's: its sockets and TLS state belong
    to the parent, so the child starts with none and builds its own."""
    global _SHARED_PID
    key = (base_url, tuple(sorted((headers or {}).items())), timeout, guard_addresses)
    with _SHARED_LOCK:
        if os.getpid() != _SHARED_PID:  # forked without the hook below (belt and braces)
            _SHARED.clear()
            _SHARED_PID = os.getpid()
        client = _SHARED.get(key)
        if client is None or client.is_closed:
            client = _SHARED[key] = make_client(
                base_url, headers=headers, timeout=timeout, guard_addresses=guard_addresses
            )
        return client


def _forget_parents_clients() -> None:
    # In the child: drop (never close: the parent still uses those sockets) what it inherited;
    # a new lock, since another thread of the parent may have held the old one at the fork.
    global _SHARED_LOCK, _SHARED_PID
    _SHARED.clear()
    _SHARED_LOCK = threading.Lock()
    _SHARED_PID = os.getpid()


os.register_at_fork(after_in_child=_forget_parents_clients)


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
