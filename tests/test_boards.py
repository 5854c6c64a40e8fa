"""The orders and requests boards (issue 15): staff see each order and request with its room,
guest, items and total or type and details, its age and a link to the guest's conversation; they
move it one step at a time (a refused or stale move is a 400 or 409 that changes nothing; another
hotel's is a 404); the board refreshes itself; the sidebar counts what is open; and the guest is
told of each move in their language, through the queue, unless the hotel switched that off or
the guest opted out."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agent.models import (
    HousekeepingRequest,
    HousekeepingType,
    OrderStatus,
    RequestStatus,
    RoomServiceOrder,
)
from automation import queue
from automation.models import AutomationJob
from messaging.models import MessageLog, MessageStatus
from tenancy.models import Tenant, User
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NASI_GORENG = [
    {"name": "Nasi goreng", "quantity": 2},
    {"name": "Es teh manis", "quantity": 1, "notes": "less sugar"},
]


@pytest.fixture
def hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_BASE_URL = None  # sandbox: the worker records a send, nothing leaves
    settings.APP_URL = "http://testserver"
    return hotel_a


def order(hotel: factories.Hotel, status: str = OrderStatus.RECEIVED, **fields: Any):
    fields = {"items": NASI_GORENG, "total": Decimal("150000"), "currency": "IDR", **fields}
    return RoomServiceOrder.objects.create(
        tenant=hotel.tenant,
        reservation=hotel.reservation,
        guest=hotel.guest,
        room_number=hotel.reservation.room_number,
        status=status,
        **fields,
    )


def housekeeping(hotel: factories.Hotel, status: str = RequestStatus.OPEN, **fields: Any):
    fields = {"request_type": HousekeepingType.TOWELS, "details": "Two bath towels", **fields}
    return HousekeepingRequest.objects.create(
        tenant=hotel.tenant,
        reservation=hotel.reservation,
        guest=hotel.guest,
        room_number=hotel.reservation.room_number,
        status=status,
        **fields,
    )


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def move(client: Client, item: Any, from_status: str, to: str, **headers: str):
    kind = "orders" if isinstance(item, RoomServiceOrder) else "requests"
    return client.post(
        f"/{kind}/{item.public_id}/move/", {"from": from_status, "to": to}, **headers
    )


def status_of(item: Any) -> str:
    item.refresh_from_db()
    return item.status


def text(response: Any) -> str:
    """The page as a person reads it: tags gone, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- what the boards show ---------------------------------------------------------------------


def test_an_order_shows_its_room_guest_items_total_age_and_conversation(hotel) -> None:
    placed = order(hotel)
    RoomServiceOrder.objects.filter(pk=placed.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=12)
    )

    response = as_user(hotel.staff).get("/orders/")

    page = text(response)
    assert response.status_code == 200
    assert "Room 101" in page and hotel.guest.full_name in page
    assert "2 × Nasi goreng" in page and "1 × Es teh manis (less sugar)" in page
    assert "Total IDR 150,000" in page
    assert "12 minutes ago" in page
    new = re.search(r'<section class="board-column board-column-received".*?</section>',
                    response.content.decode(), re.S)  # fmt: skip
    assert new and "New" in new.group(0) and "Nasi goreng" in new.group(0)
    assert f'href="/inbox/guest/{hotel.guest.public_id}/"' in new.group(0)  # its conversation


def test_a_request_shows_its_type_and_details_in_its_column(hotel) -> None:
    housekeeping(hotel, RequestStatus.IN_PROGRESS, request_type=HousekeepingType.MAINTENANCE,
                 details="The air conditioner drips")  # fmt: skip

    response = as_user(hotel.staff).get("/requests/")

    column = re.search(r'<section class="board-column board-column-in_progress".*?</section>',
                       response.content.decode(), re.S)  # fmt: skip
    assert column is not None
    assert "In progress" in column.group(0)
    assert "Maintenance" in column.group(0) and "The air conditioner drips" in column.group(0)
    assert "Mark done" in column.group(0)


def test_a_malformed_order_from_the_agent_still_shows(hotel) -> None:
    order(hotel, items=[{"quantity": "lots"}, "not an item", {"name": "Soup", "quantity": None}],
          total=None, currency="")  # fmt: skip

    page = text(as_user(hotel.staff).get("/orders/"))

    assert "1 × ?" in page and "1 × Soup" in page
    assert "Total" not in page


def test_finished_and_cancelled_items_of_the_last_day_stay_apart_and_older_ones_go(hotel) -> None:
    order(hotel, OrderStatus.DELIVERED, items=[{"name": "Pisang goreng", "quantity": 1}])
    order(hotel, OrderStatus.CANCELLED, items=[{"name": "Sate ayam", "quantity": 1}])
    old = order(hotel, OrderStatus.DELIVERED, items=[{"name": "Mie goreng", "quantity": 1}])
    RoomServiceOrder.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )

    html = as_user(hotel.staff).get("/orders/").content.decode()

    delivered = re.search(r'board-column-delivered".*?</section>', html, re.S)
    assert delivered and "Pisang goreng" in delivered.group(0)
    assert "Mark delivered" not in delivered.group(0)  # nothing left to do with it
    cancelled = re.search(r'<details class="board-cancelled">.*?</details>', html, re.S)
    assert cancelled and "1 cancelled in the last 24 hours" in cancelled.group(0)
    assert "Sate ayam" in cancelled.group(0)
    assert "Mie goreng" not in html


# --- moving items -----------------------------------------------------------------------------


def test_staff_move_an_order_step_by_step_to_delivered(hotel) -> None:
    placed = order(hotel)
    staff = as_user(hotel.staff)

    for before, after in [("received", "confirmed"), ("confirmed", "preparing"),
                          ("preparing", "delivered")]:  # fmt: skip
        response = move(staff, placed, before, after, **HTMX)
        assert response.status_code == 200
        assert status_of(placed) == after

    # The answer is the board as it now is, with what happened said above it.
    delivered = re.search(r'board-column-delivered".*?</section>', response.content.decode(), re.S)
    assert delivered and "Nasi goreng" in delivered.group(0)
    assert "Room 101: Delivered. The guest is told on WhatsApp." in text(response)


def test_owners_move_requests_and_without_javascript_the_form_comes_back_to_the_board(
    hotel,
) -> None:
    asked = housekeeping(hotel)
    owner = as_user(hotel.owner)

    started = move(owner, asked, "open", "in_progress")
    assert (started.status_code, started["Location"]) == (302, "/requests/")
    assert "Room 101: In progress." in text(owner.get("/requests/"))
    assert move(owner, asked, "in_progress", "done").status_code == 302
    assert status_of(asked) == RequestStatus.DONE


def test_an_open_order_can_be_cancelled_and_then_goes_nowhere(hotel) -> None:
    placed = order(hotel, OrderStatus.CONFIRMED)
    staff = as_user(hotel.staff)

    assert move(staff, placed, "confirmed", "cancelled", **HTMX).status_code == 200
    refused = move(staff, placed, "cancelled", "preparing", **HTMX)

    assert refused.status_code == 400
    assert status_of(placed) == OrderStatus.CANCELLED


@pytest.mark.parametrize(
    ("current", "sent"),
    [
        ("received", {"from": "received", "to": "delivered"}),  # skips two steps
        ("received", {"from": "received", "to": "preparing"}),
        ("preparing", {"from": "preparing", "to": "confirmed"}),  # backwards
        ("delivered", {"from": "delivered", "to": "cancelled"}),  # finished
        ("received", {"from": "received", "to": "eaten"}),
        ("received", {"from": "received"}),
        ("received", {}),
        ("received", {"from": "received", "to": "received"}),
    ],
)
def test_a_move_the_board_does_not_allow_is_refused_with_400_and_changes_nothing(
    hotel, current: str, sent: dict[str, str]
) -> None:
    placed = order(hotel, current)

    response = as_user(hotel.staff).post(f"/orders/{placed.public_id}/move/", sent, **HTMX)

    assert response.status_code == 400
    assert "alert-error" in response.content.decode()
    assert status_of(placed) == current
    assert not MessageLog.objects.exists()


def test_a_move_on_a_stale_board_is_a_409_that_says_where_the_order_is(hotel) -> None:
    placed = order(hotel)
    first, second = as_user(hotel.staff), as_user(hotel.owner)
    assert move(first, placed, "received", "confirmed", **HTMX).status_code == 200

    # The second person still saw it as new and pressed Confirm too.
    late = move(second, placed, "received", "confirmed", **HTMX)
    without_htmx = move(second, placed, "received", "cancelled")

    assert late.status_code == 409
    assert "already Confirmed: someone moved it meanwhile" in text(late)
    assert without_htmx.status_code == 409 and "already Confirmed" in text(without_htmx)
    assert status_of(placed) == OrderStatus.CONFIRMED
    assert MessageLog.objects.count() == 1  # the guest heard "confirmed" once


def test_another_hotels_order_or_request_is_not_found(hotel, hotel_b: factories.Hotel) -> None:
    placed, asked = order(hotel), housekeeping(hotel)
    stranger = as_user(hotel_b.owner)

    assert move(stranger, placed, "received", "confirmed", **HTMX).status_code == 404
    assert move(stranger, asked, "open", "in_progress").status_code == 404
    assert stranger.post("/orders/not-a-uuid/move/", {}).status_code == 404
    assert (status_of(placed), status_of(asked)) == ("received", "open")
    assert "Nasi goreng" not in stranger.get("/orders/").content.decode()


def test_the_boards_need_a_login_and_moves_need_a_post(hotel) -> None:
    placed = order(hotel)
    assert Client().get("/orders/").status_code == 302
    assert Client().post(f"/orders/{placed.public_id}/move/").status_code == 302
    assert as_user(hotel.staff).get(f"/orders/{placed.public_id}/move/").status_code == 405
    assert status_of(placed) == OrderStatus.RECEIVED


# --- telling the guest ------------------------------------------------------------------------


def test_each_step_queues_the_guest_an_update_in_their_language(hotel) -> None:
    placed = order(hotel)  # the factory's guest speaks Indonesian
    staff = as_user(hotel.staff)

    move(staff, placed, "received", "confirmed", **HTMX)
    move(staff, placed, "confirmed", "preparing", **HTMX)
    move(staff, placed, "preparing", "delivered", **HTMX)

    sent = list(MessageLog.objects.order_by("pk"))
    assert [m.body for m in sent] == [
        "Pesanan Anda sudah dikonfirmasi: 2 × Nasi goreng, 1 × Es teh manis.",
        "Dapur kami sedang menyiapkan pesanan Anda.",
        "Pesanan Anda sudah diantar ke kamar 101. Selamat menikmati!",
    ]
    assert {(m.language_code, m.status, m.guest_id) for m in sent} == {
        ("id", MessageStatus.QUEUED, hotel.guest.pk)
    }
    jobs = AutomationJob.objects.filter(kind="send_message").order_by("pk")
    assert [job.idempotency_key for job in jobs] == [
        f"board-update:orders:{placed.public_id}:{step}"
        for step in ("confirmed", "preparing", "delivered")
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "We are on it: your request (towels) for room 101 is being handled."),
        ("id-ID", "Kami sedang menanganinya: permintaan Anda (handuk) untuk kamar 101 sedang diproses."),
        ("fr", "We are on it: your request (towels) for room 101 is being handled."),
    ],
)  # fmt: skip
def test_a_request_update_is_in_the_guests_language_or_else_english(
    hotel, language: str, expected: str
) -> None:
    hotel.guest.language = language
    hotel.guest.save(update_fields=["language"])
    asked = housekeeping(hotel)

    move(as_user(hotel.staff), asked, "open", "in_progress", **HTMX)

    message = MessageLog.objects.get()
    assert message.body == expected
    assert message.language_code == ("en" if language == "fr" else language[:2])


def test_the_worker_sends_the_update_like_any_message(hotel) -> None:
    placed = order(hotel)
    move(as_user(hotel.staff), placed, "received", "confirmed", **HTMX)

    assert queue.run_once() == 1

    assert MessageLog.objects.get().status == MessageStatus.SENT


def test_no_update_when_the_owner_switched_guest_updates_off(hotel) -> None:
    owner = as_user(hotel.owner)
    switched = owner.post("/settings/guest-updates/", {"back": "/orders/"})
    assert (switched.status_code, switched["Location"]) == (302, "/orders/")
    placed = order(hotel)

    response = move(as_user(hotel.staff), placed, "received", "confirmed", **HTMX)

    assert status_of(placed) == OrderStatus.CONFIRMED
    assert not MessageLog.objects.exists() and not AutomationJob.objects.exists()
    assert "The guest is not told: guest updates are off." in text(response)
    assert "Guests are not told" in text(as_user(hotel.staff).get("/orders/"))

    owner.post("/settings/guest-updates/", {"notify_guests": "on", "back": "/orders/"})
    move(as_user(hotel.staff), placed, "confirmed", "preparing", **HTMX)
    assert MessageLog.objects.count() == 1


def test_staff_cannot_switch_guest_updates(hotel) -> None:
    response = as_user(hotel.staff).post("/settings/guest-updates/", {})
    assert response.status_code == 403  # the "Owners only" page
    placed = order(hotel)
    move(as_user(hotel.staff), placed, "received", "confirmed", **HTMX)
    assert MessageLog.objects.count() == 1  # still on


def test_an_opted_out_guest_is_not_told(hotel) -> None:
    hotel.guest.opted_out_at = timezone.now()
    hotel.guest.save(update_fields=["opted_out_at"])
    placed = order(hotel)

    response = move(as_user(hotel.staff), placed, "received", "confirmed", **HTMX)

    assert status_of(placed) == OrderStatus.CONFIRMED
    assert not MessageLog.objects.exists()
    assert "they opted out of WhatsApp messages" in text(response)


def test_a_guest_who_opts_out_after_the_update_was_queued_does_not_get_it(hotel) -> None:
    placed = order(hotel)
    move(as_user(hotel.staff), placed, "received", "confirmed", **HTMX)
    hotel.guest.opted_out_at = timezone.now()
    hotel.guest.save(update_fields=["opted_out_at"])

    queue.run_once()

    message = MessageLog.objects.get()
    assert message.status == MessageStatus.FAILED and message.sent_at is None
    assert "opted out" in message.failure_reason


def test_a_guest_without_a_whatsapp_number_is_not_told(hotel) -> None:
    hotel.guest.phone_e164 = ""
    hotel.guest.save(update_fields=["phone_e164"])
    asked = housekeeping(hotel)

    response = move(as_user(hotel.staff), asked, "open", "cancelled", **HTMX)

    assert status_of(asked) == RequestStatus.CANCELLED
    assert not MessageLog.objects.exists()
    assert "they have no WhatsApp number" in text(response)


# --- live updates and the sidebar ------------------------------------------------------------


def test_the_live_board_answers_nothing_until_something_changed(hotel) -> None:
    order(hotel)
    staff = as_user(hotel.staff)
    html = staff.get("/orders/").content.decode()
    shown = re.search(r'hx-vals=\'\{"version": "([^"]+)"\}\'', html)
    assert shown is not None
    assert 'hx-get="/orders/board/"' in html and "every 5s" in html

    unchanged = staff.get("/orders/board/", {"version": shown.group(1)})
    assert (unchanged.status_code, unchanged.content) == (204, b"")

    order(hotel, items=[{"name": "Soto ayam", "quantity": 3}])
    changed = staff.get("/orders/board/", {"version": shown.group(1)})
    assert changed.status_code == 200
    assert "3 × Soto ayam" in text(changed)
    # The sidebar's count comes along, out of band.
    assert re.search(
        r'id="nav-open-orders"[^>]*hx-swap-oob="true"[^>]*>.*?2<', changed.content.decode()
    )


def test_the_sidebar_counts_open_orders_and_requests_on_every_page(
    hotel, hotel_b: factories.Hotel
) -> None:
    order(hotel), order(hotel, OrderStatus.PREPARING), order(hotel, OrderStatus.DELIVERED)
    order(hotel, OrderStatus.CANCELLED)
    housekeeping(hotel), housekeeping(hotel, RequestStatus.DONE)
    order(hotel_b), housekeeping(hotel_b), housekeeping(hotel_b)

    for path in ("/", "/guests/", "/orders/", "/settings/templates/"):
        page = text(as_user(hotel.staff).get(path))
        assert "Orders 2 open orders" in page, path
        assert "Requests 1 open requests" in page, path


def test_the_sidebar_shows_no_count_when_nothing_is_open(hotel) -> None:
    order(hotel, OrderStatus.DELIVERED)
    page = text(as_user(hotel.staff).get("/"))
    assert "open orders" not in page and "open requests" not in page


def test_the_sidebar_counts_cost_one_query(hotel) -> None:
    from agent import boards

    order(hotel), housekeeping(hotel), housekeeping(hotel, RequestStatus.IN_PROGRESS)
    with CaptureQueriesContext(connection) as captured:
        counts = boards.open_counts(hotel.tenant)
    assert (counts.orders, counts.requests) == (1, 2)
    assert len(captured) == 1


# --- languages and the demo -------------------------------------------------------------------


def test_the_boards_read_in_indonesian(hotel) -> None:
    hotel.staff.ui_language = "id"
    hotel.staff.save(update_fields=["ui_language"])
    order(hotel)
    housekeeping(hotel)
    staff = as_user(hotel.staff)

    orders = text(staff.get("/orders/"))
    assert "Pesanan layanan kamar" in orders and "Baru" in orders
    assert "Total IDR 150.000" in orders and "Konfirmasi" in orders
    requests = text(staff.get("/requests/"))
    assert "Permintaan tata graha" in requests and "Handuk" in requests
    stale = move(staff, RoomServiceOrder.objects.get(), "confirmed", "preparing", **HTMX)
    assert stale.status_code == 409 and "Baru" in text(stale)


def test_the_demo_hotel_has_an_order_and_a_request_from_guests_in_the_house(settings) -> None:
    settings.WAHA_BASE_URL = None
    call_command("seed_demo")
    call_command("seed_demo")  # every `make run` seeds again: still one of each

    tenant = Tenant.objects.get()
    placed = RoomServiceOrder.objects.get(tenant=tenant)
    asked = HousekeepingRequest.objects.get(tenant=tenant)
    assert placed.reservation.status == asked.reservation.status == "on-stay"
    assert placed.total == Decimal("170000") and placed.currency == "IDR"
    staff = as_user(User.objects.get(email="frontdesk@demo.innbox.test"))
    # Taken by the concierge in the demo guest's conversation (dashboard/demo_conversation.py).
    assert "2 × Nasi Goreng" in text(staff.get("/orders/"))
    assert "Boleh minta 2 handuk tambahan?" in text(staff.get("/requests/"))
