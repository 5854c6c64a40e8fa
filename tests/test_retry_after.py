"""A vendor's Retry-After is honoured in both of its forms and never breaks the queue.

RFC 9110 allows seconds ("120") or an HTTP-date; a proxy in front of WAHA, or Mews, may send
either. Whatever the number, the retry comes no sooner than asked, and no later than a day (a
value of years would overflow the date the job is parked at, and leave it stranded)."""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx
import pytest

from automation.retry_policy import next_attempt_at
from innbox.integrations import MAX_RETRY_AFTER_SECONDS, IntegrationError, retry_after_seconds
from pms.adapters.mews import MewsAdapter
from tests.fake_waha import FakeWaha, Session
from whatsapp.waha import WahaClient, WahaError

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        (http_date(NOW + dt.timedelta(minutes=3)), 180.0),
        ("Wed, 25 Nov 2026 12:03:00 -0000", 180.0),
        (http_date(NOW - dt.timedelta(minutes=3)), 0.0),  # already past: at once
        ("9" * 400, MAX_RETRY_AFTER_SECONDS),
        ("99999999999999", MAX_RETRY_AFTER_SECONDS),
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_SECONDS),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("٣", None),  # a digit, but not an ASCII one
    ],
)
def test_both_forms_of_retry_after_are_read(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize("asked", [1e400, 10**15, MAX_RETRY_AFTER_SECONDS * 2])
def test_a_retry_after_of_years_parks_the_job_for_a_day_without_overflowing(asked: float) -> None:
    error = IntegrationError("slow down", retryable=True, retry_after=asked)
    later = next_attempt_at(1, error, NOW, max_attempts=8, base_seconds=30, cap_seconds=3600)
    assert later == NOW + dt.timedelta(seconds=MAX_RETRY_AFTER_SECONDS)


@pytest.fixture
def waha() -> FakeWaha:
    fake = FakeWaha(api_key="k").start()
    fake.sessions["default"] = Session(name="default", config={})
    fake.pair("default")
    yield fake
    fake.stop()


@pytest.mark.parametrize("form", ["seconds", "date"])
def test_a_429_from_waha_says_when_to_come_back_in_either_form(waha: FakeWaha, form: str) -> None:
    header = (
        "240" if form == "seconds" else http_date(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4))
    )
    waha.fail("POST", "/api/sendText", status=429, headers={"Retry-After": header})
    with WahaClient(waha.url, "k") as client, pytest.raises(WahaError) as caught:
        client.send_text("default", "6281234560001@c.us", "Hello")
    assert caught.value.retryable and caught.value.code == "rate_limited"
    assert caught.value.retry_after is not None and 235 <= caught.value.retry_after <= 240
    retry = next_attempt_at(1, caught.value, NOW)
    assert retry is not None and retry >= NOW + dt.timedelta(seconds=235)
    assert waha.sent_texts == []


def test_mews_asking_for_a_long_pause_fails_the_pull_as_retryable_instead_of_sleeping() -> None:
    """A sync asleep for an hour would outlive its job's lease, and a second worker would run
    the same sync beside it."""
    slept: list[float] = []

    def rate_limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"}, json={"Message": "Later"})

    mews = MewsAdapter(
        credentials={"client_token": "c", "access_token": "a"},
        transport=httpx.MockTransport(rate_limited),
        sleep=slept.append,
    )
    with pytest.raises(IntegrationError) as caught:
        mews.test_connection()
    assert caught.value.retryable and caught.value.retry_after == 3600.0
    assert slept == []
