"""When to try a failed job again: one pure function, tested with a table of cases.

Only retryable failures (timeouts, connection errors, 5xx, 429) are tried again, after an
exponentially growing delay with full jitter (a random point between 0 and the cap of the attempt,
so many failed jobs don't come back in lockstep), never sooner than a vendor's Retry-After. After
the last attempt, or for a permanent failure, the answer is None: the job is dead, or failed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.conf import settings

from innbox.integrations import MAX_RETRY_AFTER_SECONDS, IntegrationError


def next_attempt_at(
    attempt: int,
    error: IntegrationError,
    now: dt.datetime,
    *,
    max_attempts: int | None = None,
    base_seconds: float | None = None,
    cap_seconds: float | None = None,
    uniform: Callable[[float, float], float] = random.uniform,
) -> dt.datetime | None:
    """`attempt` is the number of the attempt that just failed (1 for the first)."""
    max_attempts = max_attempts or settings.AUTOMATION_MAX_ATTEMPTS
    base = base_seconds if base_seconds is not None else settings.AUTOMATION_RETRY_BASE_SECONDS
    cap = cap_seconds if cap_seconds is not None else settings.AUTOMATION_RETRY_CAP_SECONDS
    if not error.retryable or attempt >= max_attempts:
        return None
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = uniform(0, ceiling)
    if error.retry_after:
        # Bounded: a vendor asking for years must not overflow the date (nor park the job).
        delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER_SECONDS))
    return now + dt.timedelta(seconds=delay)
