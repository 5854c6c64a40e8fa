"""The one error type for every outside system (WAHA, PMS APIs, the LLM).

Clients translate vendor responses into it; callers keep it as a value (a job's last error, a
connection's health) and decide from `retryable` whether trying again can help.
"""

from __future__ import annotations

import datetime as dt
import email.utils


class IntegrationError(Exception):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
        code: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        # A short machine-readable reason, e.g. "timeout", "unauthorized", "invalid_number".
        self.code = code

    def __str__(self) -> str:
        return self.message


# Longer than any sensible vendor pause, short enough for datetime arithmetic: a Retry-After of
# "999999999999" (or 400 nines) is taken as a day, not an overflow in the queue.
MAX_RETRY_AFTER_SECONDS = 86_400.0


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """A Retry-After header in seconds from `now`, in either of its forms (RFC 9110 §10.2.3):
    delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"). None when absent
    or unreadable; never negative, never above MAX_RETRY_AFTER_SECONDS."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        seconds = float(text[:12])  # 12 digits already exceed the ceiling
    else:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:  # "-0000": UTC, by the RFC
            moment = moment.replace(tzinfo=dt.UTC)
        seconds = (moment - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
