"""QloApps webservice (PrestaShop 1.6 based; api-facts.md §2). QloApps has no webhooks: polled.

Stays come from `room_bookings` (one row per booked room), their guests from `customers` (the
phone and email on a room booking are the hotel's, not the guest's), cancellation also from the
order's state, the currency from the order's `id_currency` (→ `currencies`), and languages from
`languages`. The key is HTTP Basic's user name, with no password.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx

from hotel.models import ReservationStatus
from innbox import json_input
from innbox.http import make_client, send
from innbox.integrations import IntegrationError
from pms.adapters.base import (
    MAX_PERSONS,
    MAX_PMS_ID_LENGTH,
    Page,
    PMSAdapter,
    PMSGuest,
    PMSReservation,
    plausible_change_time,
)

PAGE_SIZE = 100
# Seconds a QloApps shop has to answer one request (tests shorten it to see a hang end).
REQUEST_TIMEOUT_SECONDS = 30.0
# Order states of a fresh install (api-facts.md §2.8): 4 Canceled, 5 Refunded. An installation
# whose ids differ sets "cancelled_order_states" in its credentials.
DEFAULT_CANCELLED_ORDER_STATES = (4, 5)
STATUS_NAMES = {1: "Alloted", 2: "Checked in", 3: "Checked out"}


def webservice_url(url: str) -> str:
    """The webservice lives under /api of the shop: owners may give the shop's own address."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.rsplit("/", 1)[-1].lower() != "api":
        path = f"{path}/api"
    return urlunsplit(parts._replace(path=path))


def _int(value: Any, default: int = 0) -> int:
    """QloApps sends numbers as strings or integers, sometimes empty."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _date(value: Any) -> dt.date:
    text = str(value or "")[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise IntegrationError(
            f"QloApps sent a date we cannot read: {value!r}", retryable=False, code="malformed"
        ) from None


def _persons(value: Any, default: int, what: str) -> int:
    count = _int(value, default)
    if not 0 <= count <= MAX_PERSONS:
        raise IntegrationError(
            f"QloApps sent a room booking for {str(value)[:30]} {what}",
            retryable=False,
            code="malformed",
        )
    return count


def _text(value: Any) -> str:
    """Multilingual fields arrive as [{"id": "1", "value": "..."}]; plain ones as strings."""
    if isinstance(value, list):
        return str(value[0].get("value", "")) if value and isinstance(value[0], dict) else ""
    return "" if value is None else str(value)


class QloAppsAdapter(PMSAdapter):
    provider = "qloapps"
    label = "QloApps"
    status_examples: ClassVar[dict[str, ReservationStatus]] = {}

    def __init__(self, *, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Addresses saved before the page added /api work too.
        self.base_url = webservice_url(self.base_url) if self.base_url else ""
        self._transport = transport
        self._languages: dict[int, str] | None = None
        self._currencies: dict[int, str] | None = None

    # --- status ------------------------------------------------------------------------------

    def map_status(self, raw: Any) -> ReservationStatus:
        """raw: {"id_status", "is_cancelled", "is_refunded", "order_cancelled"}."""
        if (
            _int(raw.get("is_cancelled"))
            or _int(raw.get("is_refunded"))
            or raw.get("order_cancelled")
        ):
            return ReservationStatus.CANCELLED
        return {
            2: ReservationStatus.ON_STAY,
            3: ReservationStatus.CHECKED_OUT,
        }.get(_int(raw.get("id_status"), 1), ReservationStatus.PRE_ARRIVAL)

    def parse_documented_status(self, text: str) -> Any:
        raw: dict[str, Any] = {
            "id_status": 1,
            "is_cancelled": 0,
            "is_refunded": 0,
            "order_cancelled": False,
        }
        for part in text.split(","):
            key, _, value = part.strip().partition("=")
            if key == "order_state":
                raw["order_cancelled"] = value in ("Canceled", "Refunded")
            else:
                raw[key] = _int(value)
        return raw

    # --- calls -------------------------------------------------------------------------------

    def test_connection(self) -> str:
        self._get("room_bookings", {"limit": "1"})
        return "QloApps accepted the webservice key"

    def pull_reservations(self, start: dt.date, end: dt.date) -> Iterator[Page]:
        offset = 0
        while True:
            data = self._get(
                "room_bookings",
                {
                    "display": "full",
                    # Overlapping the window: arrives before its end, leaves after its start.
                    "filter[date_from]": f"<[{end.isoformat()} 23:59:59]",
                    "filter[date_to]": f">[{start.isoformat()} 00:00:00]",
                    "sort": "[id_ASC]",
                    "limit": f"{offset},{PAGE_SIZE}",
                },
            )
            rows = self._rows(data, "bookings")
            if not rows:
                return
            yield Page(reservations=self._reservations(rows), next_cursor=offset + PAGE_SIZE)
            if len(rows) < PAGE_SIZE:
                return
            offset += PAGE_SIZE

    def _reservations(self, rows: list[dict[str, Any]]) -> list[PMSReservation]:
        orders = self._orders({_int(row.get("id_order")) for row in rows})
        currencies = self._currency_codes() if orders else {}
        customers = self._customers({_int(row.get("id_customer")) for row in rows})
        cancelled_states = {
            _int(state)
            for state in self.credentials.get("cancelled_order_states")
            or DEFAULT_CANCELLED_ORDER_STATES
        }
        found = []
        for row in rows:
            if "id" not in row:
                raise IntegrationError(
                    "QloApps sent a room booking without an id", retryable=False, code="malformed"
                )
            if len(str(row["id"])) > MAX_PMS_ID_LENGTH:
                raise IntegrationError(
                    f"QloApps sent a room booking id longer than {MAX_PMS_ID_LENGTH} characters",
                    retryable=False,
                    code="malformed",
                )
            order = orders.get(_int(row.get("id_order")), {})
            order_cancelled = _int(order.get("current_state")) in cancelled_states
            raw = {
                "id_status": row.get("id_status"),
                "is_cancelled": row.get("is_cancelled"),
                "is_refunded": row.get("is_refunded"),
                "order_cancelled": order_cancelled,
            }
            customer_id = _int(row.get("id_customer"))
            guest = customers.get(customer_id) or PMSGuest(
                pms_id=str(customer_id) if customer_id else f"reservation-{row['id']}",
                complete=False,
            )
            found.append(
                PMSReservation(
                    pms_id=str(row["id"]),
                    guest=guest,
                    status=self.map_status(raw),
                    pms_status=self._describe(raw),
                    check_in=_date(row.get("date_from")),
                    check_out=_date(row.get("date_to")),
                    booking_code=str(order.get("reference") or row.get("id_order") or ""),
                    room_number=_text(row.get("room_num")),
                    room_type=_text(row.get("room_type_name")),
                    adults=_persons(row.get("adults"), 1, "adults") or 1,
                    children=_persons(row.get("children"), 0, "children"),
                    amount=_decimal(row.get("total_price_tax_incl")),
                    currency=currencies.get(_int(order.get("id_currency")), ""),
                    source=str(order.get("source") or ""),
                    changed_at=self._changed_at(row.get("date_upd"), order.get("date_upd")),
                )
            )
        return found

    def _changed_at(self, *stamps: Any) -> dt.datetime | None:
        """The latest of the room booking's and its order's `date_upd` (shop time): a check-in
        changes the booking, a cancellation only the order."""
        moments = [
            moment
            for stamp in stamps
            if (moment := plausible_change_time(_shop_time(stamp, self.time_zone)))
        ]
        return max(moments, default=None)

    @staticmethod
    def _describe(raw: dict[str, Any]) -> str:
        if _int(raw.get("is_cancelled")):
            return "Cancelled"
        if _int(raw.get("is_refunded")):
            return "Refunded"
        if raw.get("order_cancelled"):
            return "Order cancelled"
        return STATUS_NAMES.get(_int(raw.get("id_status"), 1), f"Status {raw.get('id_status')}")

    def _orders(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        ids.discard(0)
        if not ids:
            return {}
        data = self._get(
            "orders",
            {
                "display": "[id,reference,current_state,source,id_currency,date_upd]",
                "filter[id]": "[" + "|".join(map(str, sorted(ids))) + "]",
            },
        )
        return {_int(order.get("id")): order for order in self._rows(data, "orders")}

    def _customers(self, ids: set[int]) -> dict[int, PMSGuest]:
        ids.discard(0)
        if not ids:
            return {}
        # Only the fields we use: customers also carry the password hash, never asked for.
        data = self._get(
            "customers",
            {
                "display": "[id,firstname,lastname,email,id_lang,phone]",
                "filter[id]": "[" + "|".join(map(str, sorted(ids))) + "]",
            },
        )
        languages = self._language_codes()
        found = {}
        for customer in self._rows(data, "customers"):
            customer_id = _int(customer.get("id"))
            found[customer_id] = PMSGuest(
                pms_id=str(customer_id),
                first_name=_text(customer.get("firstname")),
                last_name=_text(customer.get("lastname")),
                email=_text(customer.get("email")),
                phone=_text(customer.get("phone")),
                language=languages.get(_int(customer.get("id_lang")), ""),
            )
        return found

    def _language_codes(self) -> dict[int, str]:
        if self._languages is None:
            data = self._get("languages", {"display": "[id,iso_code]"})
            self._languages = {
                _int(language.get("id")): _text(language.get("iso_code")).lower()
                for language in self._rows(data, "languages")
            }
        return self._languages

    def _currency_codes(self) -> dict[int, str]:
        """Every currency of the shop, asked once per sync: orders name theirs by id."""
        if self._currencies is None:
            data = self._get("currencies", {"display": "[id,iso_code]"})
            self._currencies = {
                _int(currency.get("id")): _text(currency.get("iso_code")).strip().upper()[:3]
                for currency in self._rows(data, "currencies")
            }
        return self._currencies

    @staticmethod
    def _rows(data: Any, node: str) -> list[dict[str, Any]]:
        if data == [] or data == {}:
            return []  # QloApps' empty list
        rows = data.get(node) if isinstance(data, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise IntegrationError(
                f"QloApps sent {node} in a shape we cannot read", retryable=False, code="malformed"
            )
        return rows

    def _get(self, resource: str, params: dict[str, str]) -> Any:
        key = str(self.credentials.get("api_key", ""))
        with make_client(
            self.base_url,
            timeout=REQUEST_TIMEOUT_SECONDS,
            transport=self._transport,
            guard_addresses=True,
            auth=(key, ""),
        ) as http:
            response = send(
                http, "QloApps", "GET", f"/{resource}", params={"output_format": "JSON", **params}
            )
        return _checked(response)


def _shop_time(value: Any, zone: str) -> dt.datetime | None:
    """ "2026-11-10 10:00:00" in the shop's zone (taken to be the hotel's); None when absent or
    QloApps' "0000-00-00 00:00:00"."""
    try:
        moment = dt.datetime.fromisoformat(str(value or ""))
    except ValueError:
        return None
    return moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _checked(response: httpx.Response) -> Any:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        raise IntegrationError(
            "QloApps redirected the request: use the shop's own address (with /api) as configured in QloApps",
            retryable=False,
            status=status,
            code="redirect",
        )
    if status == 401:
        raise IntegrationError(
            "QloApps refused the webservice key (401). Check the key and its permissions.",
            retryable=False,
            status=status,
            code="unauthorized",
        )
    if status == 403:
        raise IntegrationError(
            "QloApps: this key has no permission on this shop (403).",
            retryable=False,
            status=status,
            code="forbidden",
        )
    if status == 503:
        raise IntegrationError(
            "QloApps' webservice is disabled: enable it under Advanced Parameters → Webservice.",
            retryable=False,
            status=status,
            code="disabled",
        )
    if status >= 500:
        raise IntegrationError(
            f"QloApps failed ({status})", retryable=True, status=status, code="server_error"
        )
    if status >= 400:
        raise IntegrationError(
            f"QloApps refused the request ({status})",
            retryable=False,
            status=status,
            code="bad_request",
        )
    try:
        data = response.json()
    except ValueError:
        raise IntegrationError(
            "QloApps answered with something that is not JSON", retryable=False, code="malformed"
        ) from None
    try:
        # A NUL or a lone surrogate in a name would fail the page in the database, with no
        # reason the owner could read: refused here, saying where.
        json_input.check(data)
    except json_input.MalformedJson as problem:
        raise IntegrationError(
            f"QloApps sent text no database can store: {problem}",
            retryable=False,
            code="malformed",
        ) from None
    return data
