"""The one error type for every outside system (WAHA, PMS APIs, the LLM).

Clients translate vendor responses into it; callers keep it as a value (a job's last error, a
connection's health) and decide from `retryable` whether trying again can help.
"""

from __future__ import annotations


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
