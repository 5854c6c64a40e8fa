"""The QloApps adapter against a fake QloApps answering from fixtures shaped like its webservice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotel.models import Reservation, ReservationStatus
from innbox.integrations import IntegrationError
from pms.adapters import qloapps
from pms.adapters.qloapps import QloAppsAdapter
from pms.models import SyncStatus
from pms.sync import sync_reservations
from tests import factories
from tests.helpers import KEY, FakeQloApps, load

FIXTURES = Path(__file__).parent / "fixtures" / "qloapps"
START, END = dt.date(2026, 11, 1), dt.date(2027, 1, 31)


@pytest.fixture
def fake() -> FakeQloApps:
    return FakeQloApps()


def adapter(fake: FakeQloApps, key: str = KEY) -> QloAppsAdapter:
    return QloAppsAdapter(
        base_url="https://hotel.example/api",
        credentials={"api_key": key},
        transport=httpx.MockTransport(fake),
    )


def pulled(adapter: QloAppsAdapter) -> dict[str, Any]:
    return {
        r.pms_id: r for page in adapter.pull_reservations(START, END) for r in page.reservations
    }


def test_requests_use_the_key_as_basic_user_and_ask_for_json(fake: FakeQloApps) -> None:
    pulled(adapter(fake))
    first = fake.requests[0]
    assert first.url.path == "/api/room_bookings"
    params = dict(first.url.params)
    assert params["output_format"] == "JSON" and params["display"] == "full"
    assert params["filter[date_from]"] == "<[2027-01-31 23:59:59]"
    assert params["filter[date_to]"] == ">[2026-11-01 00:00:00]"
    customers = next(r for r in fake.requests if r.url.path.endswith("/customers"))
    assert "passwd" not in customers.url.params["display"]


def test_every_status_and_flag_is_mapped(fake: FakeQloApps) -> None:
    stays = pulled(adapter(fake))
    assert stays["11"].status == ReservationStatus.PRE_ARRIVAL
    assert stays["12"].status == ReservationStatus.ON_STAY
    assert stays["13"].status == ReservationStatus.CHECKED_OUT
    assert stays["14"].status == ReservationStatus.CANCELLED  # the room's flags
    assert stays["15"].status == ReservationStatus.CANCELLED  # only the order was cancelled


def test_guest_contact_comes_from_the_customer_not_the_hotel(fake: FakeQloApps) -> None:
    stay = pulled(adapter(fake))["11"]
    assert (stay.guest.first_name, stay.guest.phone, stay.guest.email) == (
        "Siti",
        "0812-3456-0001",
        "siti@example.com",
    )
    assert stay.guest.language == "id"
    assert (stay.check_in, stay.check_out, stay.room_number) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 4),
        "A-101",
    )
    assert stay.booking_code == "XKBKNABJK" and str(stay.amount) == "3300000.000000"


def test_numbers_as_strings_or_integers_and_multilingual_names_are_read(fake: FakeQloApps) -> None:
    stays = pulled(adapter(fake))
    assert stays["12"].adults == 1 and stays["13"].children == 1
    assert stays["13"].room_type == "Executive Rooms"
    assert stays["15"].adults == 1 and stays["15"].guest.phone == ""  # optional fields missing


@pytest.mark.django_db
def test_every_reservation_has_its_orders_currency(
    fake: FakeQloApps, hotel_a: factories.Hotel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qloapps, "PAGE_SIZE", 2)  # three pages, one look-up of the currencies
    run = sync_reservations(hotel_a.tenant, adapter(fake), START, END)

    assert run.status == SyncStatus.SUCCEEDED
    orders = {str(order["id"]): order for order in load("orders.json")["orders"]}
    codes = {str(c["id"]): c["iso_code"] for c in load("currencies.json")["currencies"]}
    for booking in load("room_bookings.json")["bookings"]:
        reservation = Reservation.objects.get(
            tenant=hotel_a.tenant, pms_reservation_id=str(booking["id"])
        )
        assert reservation.currency == codes[str(orders[booking["id_order"]]["id_currency"])]
    assert {r.currency for r in Reservation.objects.filter(tenant=hotel_a.tenant)} >= {"IDR", "USD"}
    currency_requests = [r for r in fake.requests if r.url.path.endswith("/currencies")]
    assert len(currency_requests) == 1
    assert (
        "id_currency"
        in next(r for r in fake.requests if r.url.path.endswith("/orders")).url.params["display"]
    )


def test_it_pages_with_limit_until_a_short_page(
    fake: FakeQloApps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qloapps, "PAGE_SIZE", 2)
    assert len(pulled(adapter(fake))) == 5
    limits = [r.url.params["limit"] for r in fake.requests if r.url.path.endswith("/room_bookings")]
    assert limits == ["0,2", "2,2", "4,2"]


def test_an_empty_answer_is_an_empty_list(fake: FakeQloApps) -> None:
    fake.override = httpx.Response(200, json=[])
    assert pulled(adapter(fake)) == {}


@pytest.mark.parametrize(
    ("response", "code", "retryable"),
    [
        (httpx.Response(503, text="The QloApps webservice is disabled."), "disabled", False),
        (
            httpx.Response(302, headers={"Location": "https://other.example/api/"}),
            "redirect",
            False,
        ),
        (httpx.Response(500, text=""), "server_error", True),
        (httpx.Response(200, json={"bookings": "nope"}), "malformed", False),
    ],
)
def test_failures_are_clear(
    fake: FakeQloApps, response: httpx.Response, code: str, retryable: bool
) -> None:
    fake.override = response
    with pytest.raises(IntegrationError) as caught:
        pulled(adapter(fake))
    assert (caught.value.code, caught.value.retryable) == (code, retryable)


def test_a_shop_address_saved_without_api_still_reaches_the_webservice(fake: FakeQloApps) -> None:
    legacy = QloAppsAdapter(
        base_url="http://hotel.example:8088/",
        credentials={"api_key": KEY},
        transport=httpx.MockTransport(fake),
    )
    assert len(pulled(legacy)) == 5
    assert str(fake.requests[0].url).startswith("http://hotel.example:8088/api/room_bookings?")


def test_a_wrong_key_says_so(fake: FakeQloApps) -> None:
    with pytest.raises(IntegrationError) as caught:
        adapter(fake, key="WRONG").test_connection()
    assert caught.value.code == "unauthorized" and "key" in caught.value.message


@pytest.mark.django_db
def test_a_sync_stores_guests_with_their_own_phone(
    fake: FakeQloApps, hotel_a: factories.Hotel
) -> None:
    run = sync_reservations(hotel_a.tenant, adapter(fake), START, END)
    assert run.status == SyncStatus.SUCCEEDED and run.created == 5
    siti = Reservation.objects.get(tenant=hotel_a.tenant, pms_reservation_id="11").guest
    assert siti.phone_e164 == "+6281234560001"


@pytest.mark.django_db
def test_a_malformed_answer_fails_the_sync_and_writes_nothing(
    fake: FakeQloApps, hotel_a: factories.Hotel
) -> None:
    fake.override = httpx.Response(200, json={"bookings": [{"id_status": "1"}]})
    run = sync_reservations(hotel_a.tenant, adapter(fake), START, END)
    assert run.status == SyncStatus.FAILED
    assert (
        not Reservation.objects.filter(tenant=hotel_a.tenant)
        .exclude(pk=hotel_a.reservation.pk)
        .exists()
    )


def test_a_timeout_is_retryable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    slow = QloAppsAdapter(
        base_url="https://hotel.example/api",
        credentials={"api_key": KEY},
        transport=httpx.MockTransport(hang),
    )
    with pytest.raises(IntegrationError) as caught:
        slow.test_connection()
    assert (caught.value.code, caught.value.retryable) == ("timeout", True)


def test_a_booking_without_a_customer_gets_its_own_guest(monkeypatch: pytest.MonkeyPatch) -> None:
    original = load

    def without_customers(name: str) -> Any:
        data = original(name)
        if name == "room_bookings.json":
            for row in data["bookings"]:
                row.pop("id_customer", None)
        return data

    monkeypatch.setattr("tests.helpers.load", without_customers)
    stays = pulled(adapter(FakeQloApps()))
    guest_ids = {stay.guest.pms_id for stay in stays.values()}
    assert guest_ids == {f"reservation-{pms_id}" for pms_id in stays}, "no shared guest '0'"
    assert not any(stay.guest.complete for stay in stays.values())


@pytest.mark.parametrize(
    ("order_changed", "expected"),
    [
        ("2026-11-28 09:30:00", dt.datetime(2026, 11, 28, 9, 30)),  # cancelled after booking
        ("2026-11-01 08:00:00", dt.datetime(2026, 11, 10, 10, 0)),  # the booking's own
        ("0000-00-00 00:00:00", dt.datetime(2026, 11, 10, 10, 0)),  # QloApps' "never"
    ],
)
def test_the_last_change_is_the_later_of_the_room_booking_and_its_order(
    order_changed: str, expected: dt.datetime
) -> None:
    """A check-in changes the room booking's date_upd, a cancellation only its order's: the
    later of the two is when QloApps last changed the stay (shop time, the hotel's zone)."""

    class OrderChanged(FakeQloApps):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if not request.url.path.endswith("/orders"):
                return super().__call__(request)
            orders = load("orders.json")
            orders["orders"][0]["date_upd"] = order_changed  # order 5, of room booking 11
            return httpx.Response(200, json=orders)

    hotel = QloAppsAdapter(
        base_url="https://hotel.example/api",
        credentials={"api_key": KEY},
        transport=httpx.MockTransport(OrderChanged()),
        time_zone="Asia/Jakarta",
    )
    stays = pulled(hotel)

    jakarta = dt.timezone(dt.timedelta(hours=7))
    assert stays["11"].changed_at == expected.replace(tzinfo=jakarta)
    assert stays["12"].changed_at is None  # QloApps gave no date_upd: ordered as before
