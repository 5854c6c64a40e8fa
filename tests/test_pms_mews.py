"""The Mews adapter against a fake Mews that answers from fixtures shaped like the Connector API."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotel.models import Reservation, ReservationStatus
from innbox.integrations import IntegrationError
from pms.adapters.mews import MewsAdapter
from pms.models import PMSConfiguration, PMSProvider, SyncStatus
from pms.sync import sync_reservations
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures" / "mews"
TOKENS = {
    "client_token": "E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D",
    "access_token": "C66EF7B239D24632943D115EDE9CB810-EA00F8FD8294692C940F6B5A8F9453D",
}
START, END = dt.date(2026, 11, 1), dt.date(2027, 1, 15)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


class FakeMews:
    """The far end: checks what Mews checks, answers what Mews answers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.responses: dict[str, list[httpx.Response]] = {}

    def queue(self, operation: str, *responses: httpx.Response) -> None:
        self.responses.setdefault(operation, []).extend(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        operation = request.url.path.removeprefix("/api/connector/v1/")
        body = json.loads(request.content)
        self.requests.append((operation, body))
        if self.responses.get(operation):
            return self.responses[operation].pop(0)
        if (
            body.get("ClientToken") != TOKENS["client_token"]
            or body.get("AccessToken") != TOKENS["access_token"]
        ):
            return httpx.Response(401, json={"Message": "Invalid ClientToken or AccessToken."})
        if operation == "reservations/getAll/2023-06-06":
            cursor = body["Limitation"]["Cursor"]
            if cursor is None:
                return httpx.Response(200, json=load("reservations_page1.json"))
            if cursor == load("reservations_page1.json")["Cursor"]:
                return httpx.Response(200, json=load("reservations_page2.json"))
            return httpx.Response(200, json={"Reservations": [], "Cursor": None})
        if operation == "customers/getAll":
            wanted = set(body["CustomerIds"])
            data = load("customers.json")
            return httpx.Response(
                200, json={**data, "Customers": [c for c in data["Customers"] if c["Id"] in wanted]}
            )
        if operation == "resources/getAll":
            return httpx.Response(200, json=load("resources.json"))
        return httpx.Response(404)


@pytest.fixture
def fake() -> FakeMews:
    return FakeMews()


def adapter(fake: FakeMews, credentials: dict[str, str] = TOKENS, **kwargs: Any) -> MewsAdapter:
    return MewsAdapter(
        base_url="https://api.mews-demo.com",
        credentials=credentials,
        transport=httpx.MockTransport(fake),
        time_zone="Asia/Jakarta",
        **kwargs,
    )


def pulled(mews: MewsAdapter) -> list:
    return [r for page in mews.pull_reservations(START, END) for r in page.reservations]


def test_it_pages_with_the_cursor_until_an_empty_page(fake: FakeMews) -> None:
    reservations = pulled(adapter(fake))

    assert len(reservations) == 8
    cursors = [
        body["Limitation"]["Cursor"] for op, body in fake.requests if op.startswith("reservations")
    ]
    assert cursors == [
        None,
        load("reservations_page1.json")["Cursor"],
        load("reservations_page2.json")["Cursor"],
    ]


def test_requests_carry_the_tokens_and_the_hotels_days_as_utc_instants(fake: FakeMews) -> None:
    pulled(adapter(fake))
    operation, body = fake.requests[0]
    assert operation == "reservations/getAll/2023-06-06"
    assert (
        body["ClientToken"] == TOKENS["client_token"]
        and body["AccessToken"] == TOKENS["access_token"]
    )
    assert body["Client"].startswith("Innbox")
    assert body["CollidingUtc"] == {
        "StartUtc": "2026-10-31T17:00:00Z",
        "EndUtc": "2027-01-15T17:00:00Z",
    }
    assert body["Limitation"]["Count"] <= 1000


def test_intervals_longer_than_three_months_are_split(fake: FakeMews) -> None:
    mews = adapter(fake)
    list(mews.pull_reservations(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    intervals = [
        body["CollidingUtc"]
        for op, body in fake.requests
        if op.startswith("reservations") and body["Limitation"]["Cursor"] is None
    ]
    assert len(intervals) == 5
    for interval in intervals:
        start = dt.date.fromisoformat(interval["StartUtc"][:10])
        end = dt.date.fromisoformat(interval["EndUtc"][:10])
        assert (end - start).days <= 90


def test_every_state_is_mapped(fake: FakeMews) -> None:
    by_number = {r.booking_code: r for r in pulled(adapter(fake))}
    assert by_number["52"].status == ReservationStatus.PRE_ARRIVAL  # Confirmed
    assert by_number["53"].status == ReservationStatus.ON_STAY  # Started
    assert by_number["54"].status == ReservationStatus.CHECKED_OUT  # Processed
    assert by_number["55"].status == ReservationStatus.CANCELLED  # Canceled, by the guest
    assert by_number["56"].status == ReservationStatus.NO_SHOW  # Canceled, NoShow
    assert {by_number[n].status for n in ("57", "58", "59")} == {ReservationStatus.PRE_ARRIVAL}


def test_guests_rooms_and_dates_come_through(fake: FakeMews) -> None:
    first = next(r for r in pulled(adapter(fake)) if r.booking_code == "52")
    assert (first.guest.first_name, first.guest.last_name, first.guest.language) == (
        "Siti",
        "Rahayu",
        "id",
    )
    assert first.guest.phone == "+62 812 3456 0001"
    assert first.room_number == "101"
    assert (first.check_in, first.check_out) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 4),
    )  # Jakarta dates
    assert first.adults == 2


def test_missing_optional_fields_are_fine(fake: FakeMews) -> None:
    by_number = {r.booking_code: r for r in pulled(adapter(fake))}
    assert by_number["54"].room_number == ""  # no assigned room
    assert by_number["58"].guest.first_name == "" and by_number["58"].guest.phone == ""
    assert by_number["57"].guest.pms_id  # a company account: no customer profile, still a row


def test_a_rate_limit_waits_as_told_and_retries(fake: FakeMews) -> None:
    waits: list[float] = []
    fake.queue(
        "reservations/getAll/2023-06-06",
        httpx.Response(429, headers={"Retry-After": "7"}, json={"Message": "Too many requests"}),
    )
    reservations = pulled(adapter(fake, sleep=waits.append))
    assert waits == [7.0] and len(reservations) == 8


def test_bad_tokens_give_a_clear_non_retryable_error(fake: FakeMews) -> None:
    with pytest.raises(IntegrationError) as caught:
        adapter(fake, credentials={"client_token": "x", "access_token": "y"}).test_connection()
    assert caught.value.retryable is False and "token" in caught.value.message


def test_a_timeout_is_retryable(fake: FakeMews) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    mews = MewsAdapter(credentials=TOKENS, transport=httpx.MockTransport(hang))
    with pytest.raises(IntegrationError) as caught:
        pulled(mews)
    assert (caught.value.code, caught.value.retryable) == ("timeout", True)


@pytest.mark.django_db
def test_a_malformed_page_fails_the_sync_and_writes_nothing_of_it(
    fake: FakeMews, hotel_a: factories.Hotel
) -> None:
    fake.queue(
        "reservations/getAll/2023-06-06",
        httpx.Response(
            200,
            json={
                "Reservations": [{"Id": "x", "ScheduledStartUtc": "2026-12-01T14:00:00Z"}],
                "Cursor": "x",
            },
        ),
    )

    run = sync_reservations(hotel_a.tenant, adapter(fake), START, END)

    assert run.status == SyncStatus.FAILED and "cannot read" in run.error
    assert not Reservation.objects.filter(tenant=hotel_a.tenant, pms_reservation_id="x").exists()


@pytest.mark.django_db
def test_a_full_sync_stores_guests_and_never_logs_the_tokens(
    fake: FakeMews, hotel_a: factories.Hotel
) -> None:
    config = PMSConfiguration(tenant=hotel_a.tenant, provider=PMSProvider.MEWS)
    config.set_credentials(TOKENS)
    config.save()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().addHandler(handler)
    try:
        run = sync_reservations(
            hotel_a.tenant, adapter(fake, credentials=config.get_credentials()), START, END
        )
    finally:
        logging.getLogger().removeHandler(handler)

    assert run.status == SyncStatus.SUCCEEDED and run.created == 8
    siti = Reservation.objects.get(tenant=hotel_a.tenant, booking_code="52").guest
    assert siti.phone_e164 == "+6281234560001" and siti.language == "id" and siti.tier == "GOLD"
    logs = stream.getvalue()
    assert "pms_sync_finished" in logs
    for secret in TOKENS.values():
        assert secret not in logs
    config.refresh_from_db()
    assert config.health == "healthy"


def test_dates_are_the_hotels_calendar_dates(fake: FakeMews) -> None:
    late = {
        "Reservations": [
            {
                "Id": "late-1",
                "AccountId": "35d4b117-4e60-44a3-9580-c582117eff98",
                "AccountType": "Customer",
                "Number": "90",
                "State": "Confirmed",
                "ScheduledStartUtc": "2026-12-01T20:00:00Z",
                "ScheduledEndUtc": "2026-12-03T03:00:00Z",
            }
        ],
        "Cursor": None,
    }
    fake.queue("reservations/getAll/2023-06-06", httpx.Response(200, json=late))
    stay = pulled(adapter(fake))[0]
    # 20:00 UTC is 03:00 the next day in Jakarta: the guest arrives on the 2nd, hotel time.
    assert (stay.check_in, stay.check_out) == (dt.date(2026, 12, 2), dt.date(2026, 12, 3))


@pytest.mark.django_db
def test_a_customer_mews_did_not_return_keeps_the_profile_we_have(
    fake: FakeMews, hotel_a: factories.Hotel
) -> None:
    sync_reservations(hotel_a.tenant, adapter(fake), START, END)
    fake.queue("customers/getAll", httpx.Response(200, json={"Customers": [], "Cursor": None}))

    sync_reservations(hotel_a.tenant, adapter(fake), START, END)

    siti = Reservation.objects.get(tenant=hotel_a.tenant, booking_code="52").guest
    assert (siti.first_name, siti.phone_e164) == ("Siti", "+6281234560001")


def test_the_time_mews_last_changed_a_reservation_comes_through(fake: FakeMews) -> None:
    """So that a sync that read Mews before a later change cannot undo it (pms.sync)."""
    stays = {r.pms_id: r for r in pulled(adapter(fake))}

    assert stays["bfee2c44-1f84-4326-a862-5289598f6e2d"].changed_at == dt.datetime(
        2026, 11, 20, 10, 0, tzinfo=dt.UTC
    )
    assert all(r.changed_at is None or r.changed_at.tzinfo for r in stays.values())
