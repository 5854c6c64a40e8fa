"""The retry policy as a table: what comes back, when, and what is given up."""

from __future__ import annotations

import datetime as dt

import pytest

from automation.retry_policy import next_attempt_at
from innbox.integrations import IntegrationError

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
RETRYABLE = IntegrationError("WAHA failed (503)", retryable=True)
PERMANENT = IntegrationError("not on WhatsApp", retryable=False)


def highest(low: float, high: float) -> float:
    return high  # the top of the jitter range, to see the ceiling


@pytest.mark.parametrize(
    ("attempt", "error", "expected_seconds"),
    [
        (1, RETRYABLE, 30),
        (2, RETRYABLE, 60),
        (3, RETRYABLE, 120),
        (7, RETRYABLE, 1920),
        (8, RETRYABLE, None),  # the last attempt: dead
        (1, PERMANENT, None),  # never retried
        (1, IntegrationError("slow down", retryable=True, retry_after=90), 90),  # Retry-After wins
    ],
)
def test_the_policy_table(
    attempt: int, error: IntegrationError, expected_seconds: float | None
) -> None:
    result = next_attempt_at(
        attempt, error, NOW, max_attempts=8, base_seconds=30, cap_seconds=3600, uniform=highest
    )
    expected = None if expected_seconds is None else NOW + dt.timedelta(seconds=expected_seconds)
    assert result == expected


def test_the_delay_is_capped() -> None:
    result = next_attempt_at(
        20, RETRYABLE, NOW, max_attempts=50, base_seconds=30, cap_seconds=600, uniform=highest
    )
    assert result == NOW + dt.timedelta(seconds=600)


def test_full_jitter_spreads_retries_between_zero_and_the_ceiling() -> None:
    delays = {
        (
            next_attempt_at(4, RETRYABLE, NOW, max_attempts=8, base_seconds=30, cap_seconds=3600)
            - NOW
        ).total_seconds()
        for _ in range(50)
    }
    assert all(0 <= delay <= 240 for delay in delays)
    assert len(delays) > 40, "no two workers come back in lockstep"
