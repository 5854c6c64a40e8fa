"""Mews Connector API (api-facts.md §3).

Every call is a POST to /api/connector/v1/<resource>/<action> with the tokens in the JSON body.
Reservations come from reservations/getAll/2023-06-06 (cursor paging, at most 3 months per
interval), their guests from customers/getAll, room numbers from resources/getAll. Mews limits a
token to 200 requests per 30 s and answers 429 with Retry-After, which is honoured.
Mews' webhooks are unsigned id-only notices: they can only prompt a targeted pull.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from hotel.models import ReservationStatus
from innbox.http import make_client, send
from innbox.integrations import IntegrationError, retry_after_seconds
from pms.adapters.base import Page, PMSAdapter, PMSGuest, PMSReservation, plausible_change_time

API = "/api/connector/v1"
PAGE_SIZE = 500
MAX_INTERVAL = dt.timedelta(days=90)
RATE_LIMIT_RETRIES = 3
# Mews' window is 30 s; a wait much longer than that is waited out in the queue, not in a worker
# holding a lease (automation.queue.LEASE_SECONDS).
LONGEST_WAIT_IN_A_SYNC = 60.0
CLIENT_NAME = "Innbox 0.1"


class MewsReservation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Id: str
    AccountId: str | None = None
    AccountType: str | None = None
    Number: str | None = None
    State: str
    CancellationReason: str | None = None
    AssignedResourceId: str | None = None
    ScheduledStartUtc: str
    ScheduledEndUtc: str
    UpdatedUtc: str | None = None
    Origin: str | None = None
    PersonCounts: list[dict[str, Any]] = []


class MewsCustomer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Id: str
    FirstName: str | None = None
    LastName: str | None = None
    Email: str | None = None
    Phone: str | None = None
    NationalityCode: str | None = None
    PreferredLanguageCode: str | None = None
    LanguageCode: str | None = None
    LoyaltyCode: str | None = None


PRE_ARRIVAL_STATES = {"Inquired", "Optional", "Requested", "Confirmed", "Enquired"}


class MewsAdapter(PMSAdapter):
    provider = "mews"
    label = "Mews"
    status_examples: ClassVar[dict[str, ReservationStatus]] = {}

    def __init__(
        self,
        *,
        base_url: str = "https://api.mews.com",
        credentials: dict[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        time_zone: str = "UTC",
    ) -> None:
        super().__init__(
            base_url=base_url or "https://api.mews.com",
            credentials=credentials,
            time_zone=time_zone,
        )
        self._transport = transport
        self._sleep = sleep
        self._zone = ZoneInfo(time_zone)

    # --- status ------------------------------------------------------------------------------

    def map_status(self, raw: Any) -> ReservationStatus:
        state, reason = raw if isinstance(raw, tuple) else (raw, None)
        if state == "Started":
            return ReservationStatus.ON_STAY
        if state == "Processed":
            return ReservationStatus.CHECKED_OUT
        if state == "Canceled":
            return ReservationStatus.NO_SHOW if reason == "NoShow" else ReservationStatus.CANCELLED
        if state in PRE_ARRIVAL_STATES:
            return ReservationStatus.PRE_ARRIVAL
        # A state Mews adds later: still a booking, not yet a stay.
        return ReservationStatus.PRE_ARRIVAL

    def parse_documented_status(self, text: str) -> Any:
        state, _, reason = text.partition(" ")
        return (state, reason.strip("()") or None)

    # --- calls -------------------------------------------------------------------------------

    def test_connection(self) -> str:
        today = dt.datetime.now(tz=self._zone).date()
        self._post(
            "reservations/getAll/2023-06-06",
            {
                "CollidingUtc": {
                    "StartUtc": self._utc_midnight(today),
                    "EndUtc": self._utc_midnight(today + dt.timedelta(days=1)),
                },
                "Limitation": {"Count": 1, "Cursor": None},
            },
        )
        return "Mews accepted the tokens"

    def pull_reservations(self, start: dt.date, end: dt.date) -> Iterator[Page]:
        window_start = start
        while window_start <= end:
            window_end = min(end, window_start + MAX_INTERVAL - dt.timedelta(days=1))
            yield from self._pull_window(window_start, window_end)
            window_start = window_end + dt.timedelta(days=1)

    def _pull_window(self, start: dt.date, end: dt.date) -> Iterator[Page]:
        cursor: str | None = None
        while True:
            data = self._post(
                "reservations/getAll/2023-06-06",
                {
                    "CollidingUtc": {
                        "StartUtc": self._utc_midnight(start),
                        "EndUtc": self._utc_midnight(end + dt.timedelta(days=1)),
                    },
                    "Limitation": {"Count": PAGE_SIZE, "Cursor": cursor},
                },
            )
            raw = data.get("Reservations") or []
            if not raw:
                return
            reservations = [self._parse(MewsReservation, item) for item in raw]
            customers = self._customers(
                {r.AccountId for r in reservations if r.AccountId and r.AccountType != "Company"}
            )
            rooms = self._rooms(
                {r.AssignedResourceId for r in reservations if r.AssignedResourceId}
            )
            cursor = data.get("Cursor")
            yield Page(
                reservations=[self._reservation(r, customers, rooms) for r in reservations],
                next_cursor=cursor,
            )
            # Stop on an empty page or no cursor only: "fewer than Count" is not documented as
            # the end (api-facts.md §3.3).
            if not cursor:
                return

    def _customers(self, ids: set[str]) -> dict[str, PMSGuest]:
        if not ids:
            return {}
        data = self._post(
            "customers/getAll",
            {
                "CustomerIds": sorted(ids),
                "Extent": {"Customers": True, "Addresses": False},
                "Limitation": {"Count": 1000, "Cursor": None},
            },
        )
        found = {}
        for item in data.get("Customers") or []:
            customer = self._parse(MewsCustomer, item)
            language = (customer.PreferredLanguageCode or customer.LanguageCode or "").split("-")[0]
            found[customer.Id] = PMSGuest(
                pms_id=customer.Id,
                first_name=customer.FirstName or "",
                last_name=customer.LastName or "",
                email=customer.Email or "",
                phone=_mews_phone(customer.Phone or ""),
                country_code=(customer.NationalityCode or "")[:2],
                language=language.lower(),
                tier=customer.LoyaltyCode or "",
            )
        return found

    def _rooms(self, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        data = self._post(
            "resources/getAll",
            {
                "ResourceIds": sorted(ids),
                "Extent": {"Resources": True},
                "Limitation": {"Count": 1000, "Cursor": None},
            },
        )
        return {
            str(item["Id"]): str(item.get("Name", ""))
            for item in data.get("Resources") or []
            if "Id" in item
        }

    def _reservation(
        self, raw: MewsReservation, customers: dict[str, PMSGuest], rooms: dict[str, str]
    ) -> PMSReservation:
        guest = customers.get(raw.AccountId or "") or PMSGuest(
            pms_id=raw.AccountId or f"reservation-{raw.Id}", complete=False
        )
        return PMSReservation(
            pms_id=raw.Id,
            guest=guest,
            status=self.map_status((raw.State, raw.CancellationReason)),
            pms_status=raw.State
            if raw.State != "Canceled"
            else f"Canceled ({raw.CancellationReason or 'Other'})",
            check_in=self._local_date(raw.ScheduledStartUtc),
            check_out=self._local_date(raw.ScheduledEndUtc),
            booking_code=raw.Number or "",
            room_number=rooms.get(raw.AssignedResourceId or "", ""),
            adults=sum(int(count.get("Count", 0)) for count in raw.PersonCounts) or 1,
            source=raw.Origin or "",
            changed_at=self._changed_at(raw.UpdatedUtc),
        )

    def _utc_midnight(self, day: dt.date) -> str:
        """The hotel's midnight of `day`, as the UTC instant Mews wants."""
        local = dt.datetime.combine(day, dt.time.min, tzinfo=self._zone)
        return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _local_date(self, value: str) -> dt.date:
        return self._instant(value).astimezone(self._zone).date()

    def _changed_at(self, value: str | None) -> dt.datetime | None:
        """Only a hint for ordering changes: unreadable, it is left out, not an error."""
        try:
            return plausible_change_time(self._instant(value)) if value else None
        except IntegrationError:
            return None

    @staticmethod
    def _instant(value: str) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise IntegrationError(
                f"Mews sent a date we cannot read: {value!r}", retryable=False, code="malformed"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    def _parse(self, model: type[BaseModel], item: Any) -> Any:
        try:
            return model.model_validate(item)
        except ValidationError as exc:
            raise IntegrationError(
                f"Mews sent a {model.__name__[4:].lower()} we cannot read ({exc.error_count()} problem(s))",
                retryable=False,
                code="malformed",
            ) from None

    def _post(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {
            "ClientToken": self.credentials.get("client_token", ""),
            "AccessToken": self.credentials.get("access_token", ""),
            "Client": CLIENT_NAME,
            **body,
        }
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            with make_client(
                self.base_url, timeout=30.0, transport=self._transport, guard_addresses=True
            ) as http:
                response = send(http, "Mews", "POST", f"{API}/{operation}", json=payload)
            if response.status_code == 429 and attempt < RATE_LIMIT_RETRIES:
                wait = _retry_after(response)
                if wait > LONGEST_WAIT_IN_A_SYNC:
                    # Asleep that long the sync would outlive its job's lease: the sync fails
                    # as retryable, saying when, and the next one pulls the same range.
                    raise IntegrationError(
                        f"Mews asked us to wait {wait:.0f} s before the next request",
                        retryable=True,
                        retry_after=wait,
                        status=429,
                        code="rate_limited",
                    )
                self._sleep(wait)
                continue
            return _checked(response)
        raise AssertionError("unreachable")  # the loop returns or raises


def _retry_after(response: httpx.Response) -> float:
    wait = retry_after_seconds(response.headers.get("Retry-After"))
    return 5.0 if wait is None else wait


def _checked(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        body = response.json() if response.content else {}
    except ValueError:
        raise IntegrationError(
            "Mews answered with something that is not JSON",
            retryable=status >= 500,
            status=status,
            code="malformed",
        ) from None
    message = body.get("Message", "") if isinstance(body, dict) else ""
    if status == 200:
        if not isinstance(body, dict):
            raise IntegrationError(
                "Mews answered with an unexpected shape", retryable=False, code="malformed"
            )
        return body
    if status == 401:
        return _raise(
            "Mews refused the client or access token (401). Check the tokens.",
            False,
            status,
            "unauthorized",
        )
    if status == 429:
        return _raise(
            "Mews rate limit: too many requests, try again shortly", True, status, "rate_limited"
        )
    if status in (408,) or status >= 500:
        return _raise(f"Mews failed ({status}): {message}".strip(), True, status, "server_error")
    return _raise(
        f"Mews refused the request ({status}): {message}".strip(), False, status, "bad_request"
    )


def _raise(message: str, retryable: bool, status: int, code: str) -> dict[str, Any]:
    raise IntegrationError(message, retryable=retryable, status=status, code=code)


def _mews_phone(raw: str) -> str:
    """Mews writes international numbers as '00420…'; E.164 parsing wants '+420…'."""
    raw = raw.strip()
    return "+" + raw[2:] if raw.startswith("00") else raw
