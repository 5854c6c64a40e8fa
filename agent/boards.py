"""The orders and requests boards: what staff see, which moves are allowed, and who is told.

A room-service order goes new → confirmed → preparing → delivered, a housekeeping request
open → in progress → done; either may be cancelled while it is still open. Nothing else: a move
is one step forward or a cancel, so a guest is never told "delivered" before "preparing".

A move is a conditional update on the status staff saw ("from"): two people pressing at once
move it once, and the second is told what happened instead of moving it again (MoveRefused, 409).
When the hotel's switch is on, the guest is told in their language through messaging's
service-reply path, so the message is queued, paced and checked against their opt-out like every
other send; the queued message and the move commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Value
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.timesince import timesince
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from agent.models import (
    BoardSettings,
    HousekeepingRequest,
    HousekeepingType,
    OrderStatus,
    RequestStatus,
    RoomServiceOrder,
)
from hotel.models import Guest, Reservation
from innbox.i18n import TranslatedError
from innbox.logs import get_logger
from messaging import services
from messaging.models import MessageLog
from tenancy.models import Tenant

log = get_logger(__name__)

Item = RoomServiceOrder | HousekeepingRequest
# Finished items stay on the board this long (by when they were made), so the kitchen sees what
# went out today without the board growing for ever; the window rides the (tenant, status,
# created_at) index.
FINISHED_SHOWN_FOR = dt.timedelta(hours=24)
# A board is a working view, not an archive: at most this many cards in one render.
MOST_CARDS = 300
# An open item older than this is marked as waiting long.
WAITING_LONG = dt.timedelta(minutes=30)
# Languages whose guest updates are written here; any other guest reads English.
GUEST_LANGUAGES = ("en", "id")
# Currencies written without minor units (ISO 4217 exponent 0) among those hotels here use.
ZERO_DECIMAL_CURRENCIES = frozenset({"IDR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XOF"})


@dataclass(frozen=True)
class Step:
    """One button on a card: the status it moves to."""

    to: str
    label: Promise
    cancel: bool = False


@dataclass(frozen=True)
class Board:
    kind: str  # "orders" | "requests": URLs, element ids, idempotency keys
    model: type[RoomServiceOrder] | type[HousekeepingRequest]
    title: Promise
    intro: Promise
    columns: tuple[str, ...]  # shown side by side, in this order
    cancelled: str
    steps: Mapping[str, tuple[Step, ...]]  # from a status, the moves allowed
    labels: Mapping[str, Promise]
    # What the guest is told when an item reaches a status (English msgids, translated into the
    # guest's language when sent); a status without one tells the guest nothing.
    guest_texts: Mapping[str, str]
    item_name: Promise  # "order" / "request", in staff's refusals
    move_url_name: str

    @property
    def open_statuses(self) -> tuple[str, ...]:
        return tuple(status for status in self.steps if self.steps[status])

    @property
    def finished_statuses(self) -> tuple[str, ...]:
        return tuple(status for status in self.steps if not self.steps[status])

    def allowed(self, from_status: str) -> tuple[str, ...]:
        return tuple(step.to for step in self.steps.get(from_status, ()))

    def label(self, status: str) -> str:
        return str(self.labels.get(status, status))


ORDERS = Board(
    kind="orders",
    model=RoomServiceOrder,
    title=_("Room service orders"),
    intro=_(
        "Orders guests placed on WhatsApp. Move each one along as the kitchen works on it; "
        "the board updates by itself."
    ),
    columns=(
        OrderStatus.RECEIVED,
        OrderStatus.CONFIRMED,
        OrderStatus.PREPARING,
        OrderStatus.DELIVERED,
    ),
    cancelled=OrderStatus.CANCELLED,
    steps={
        OrderStatus.RECEIVED: (
            Step(OrderStatus.CONFIRMED, _("Confirm")),
            Step(OrderStatus.CANCELLED, _("Cancel"), cancel=True),
        ),
        OrderStatus.CONFIRMED: (
            Step(OrderStatus.PREPARING, _("Start preparing")),
            Step(OrderStatus.CANCELLED, _("Cancel"), cancel=True),
        ),
        OrderStatus.PREPARING: (
            Step(OrderStatus.DELIVERED, _("Mark delivered")),
            Step(OrderStatus.CANCELLED, _("Cancel"), cancel=True),
        ),
        OrderStatus.DELIVERED: (),
        OrderStatus.CANCELLED: (),
    },
    labels={status: status.label for status in OrderStatus},
    guest_texts={
        OrderStatus.CONFIRMED: gettext_noop("Your order is confirmed: %(items)s."),
        OrderStatus.PREPARING: gettext_noop("Our kitchen is preparing your order now."),
        OrderStatus.DELIVERED: gettext_noop(
            "Your order has been delivered to room %(room)s. Enjoy!"
        ),
        OrderStatus.CANCELLED: gettext_noop(
            "We are sorry: your order (%(items)s) was cancelled. Reply here if you would like "
            "something else."
        ),
    },
    item_name=_("order"),
    move_url_name="move_order",
)

REQUESTS = Board(
    kind="requests",
    model=HousekeepingRequest,
    title=_("Housekeeping requests"),
    intro=_(
        "What guests asked housekeeping for on WhatsApp. Move each request along as it is "
        "handled; the board updates by itself."
    ),
    columns=(RequestStatus.OPEN, RequestStatus.IN_PROGRESS, RequestStatus.DONE),
    cancelled=RequestStatus.CANCELLED,
    steps={
        RequestStatus.OPEN: (
            Step(RequestStatus.IN_PROGRESS, _("Start")),
            Step(RequestStatus.CANCELLED, _("Cancel"), cancel=True),
        ),
        RequestStatus.IN_PROGRESS: (
            Step(RequestStatus.DONE, _("Mark done")),
            Step(RequestStatus.CANCELLED, _("Cancel"), cancel=True),
        ),
        RequestStatus.DONE: (),
        RequestStatus.CANCELLED: (),
    },
    labels={status: status.label for status in RequestStatus},
    guest_texts={
        RequestStatus.IN_PROGRESS: gettext_noop(
            "We are on it: your request (%(type)s) for room %(room)s is being handled."
        ),
        RequestStatus.DONE: gettext_noop(
            "Your request (%(type)s) for room %(room)s is done. Anything else, just reply here."
        ),
        RequestStatus.CANCELLED: gettext_noop(
            "Your request (%(type)s) was cancelled. Reply here if you still need it."
        ),
    },
    item_name=_("request"),
    move_url_name="move_request",
)
BOARDS = {board.kind: board for board in (ORDERS, REQUESTS)}


# --- the conversation a card links to --------------------------------------------------------


def conversation_url_for(guest: Guest, reservation: Reservation | None = None) -> str:
    """Where staff read and answer this guest's WhatsApp messages: their conversation in the
    inbox (opened, or made on first use, by the inbox's guest link)."""
    return reverse("guest_conversation", args=[guest.public_id])


# --- sidebar counts --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCounts:
    orders: int
    requests: int


def open_counts(tenant: Tenant) -> OpenCounts:
    """Open orders and open requests in one query (UNION ALL of two counts, each an index range
    on (tenant, status, created_at)): the sidebar shows them on every page."""
    orders = (
        RoomServiceOrder.objects.filter(tenant=tenant, status__in=ORDERS.open_statuses)
        .order_by()
        .annotate(board=Value("orders"))
        .values("board")
        .annotate(n=Count("pk"))
        .values_list("board", "n")
    )
    requests = (
        HousekeepingRequest.objects.filter(tenant=tenant, status__in=REQUESTS.open_statuses)
        .order_by()
        .annotate(board=Value("requests"))
        .values("board")
        .annotate(n=Count("pk"))
        .values_list("board", "n")
    )
    counts = dict(orders.union(requests, all=True))
    return OpenCounts(orders=counts.get("orders", 0), requests=counts.get("requests", 0))


# --- what a board shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    quantity: int
    name: str
    notes: str = ""


@dataclass
class Card:
    item: Item
    status: str
    room: str
    guest_name: str
    age: str
    waiting_long: bool
    conversation_url: str
    move_url: str
    steps: tuple[Step, ...]
    lines: list[Line] = field(default_factory=list)
    total: str = ""
    request_type: str = ""
    details: str = ""

    @property
    def public_id(self) -> str:
        return str(self.item.public_id)


@dataclass
class Column:
    status: str
    label: str
    cards: list[Card]


@dataclass
class BoardView:
    board: Board
    columns: list[Column]
    cancelled: list[Card]
    version: str


def _shown(tenant: Tenant, board: Board, now: dt.datetime) -> QuerySet[Any]:
    return board.model.objects.filter(tenant=tenant).filter(
        Q(status__in=board.open_statuses)
        | Q(status__in=board.finished_statuses, created_at__gte=now - FINISHED_SHOWN_FOR)
    )


def version(tenant: Tenant, board: Board, now: dt.datetime | None = None) -> str:
    """Changes whenever what the board shows could: a card added, moved or gone, and once a
    minute for the ages on the cards. A poll whose version is unchanged gets no body (204)."""
    now = now or timezone.now()
    seen = _shown(tenant, board, now).aggregate(n=Count("pk"), last=Max("updated_at"))
    last = seen["last"].timestamp() if seen["last"] else 0
    return f"{seen['n']}-{last:.6f}-{int(now.timestamp() // 60)}"


def board_view(tenant: Tenant, board: Board, now: dt.datetime | None = None) -> BoardView:
    now = now or timezone.now()
    items = list(
        _shown(tenant, board, now)
        .select_related("guest", "reservation")
        .order_by("created_at", "pk")[:MOST_CARDS]
    )
    cards: dict[str, list[Card]] = {status: [] for status in (*board.columns, board.cancelled)}
    for item in items:
        cards.setdefault(item.status, []).append(_card(board, item, now))
    return BoardView(
        board=board,
        columns=[Column(s, board.label(s), cards[s]) for s in board.columns],
        cancelled=cards[board.cancelled],
        version=version(tenant, board, now),
    )


def _card(board: Board, item: Item, now: dt.datetime) -> Card:
    waited = now - item.created_at
    card = Card(
        item=item,
        status=item.status,
        room=item.room_number or item.reservation.room_number,
        guest_name=item.guest.full_name,
        age=age(item.created_at, now),
        waiting_long=item.status in board.open_statuses and waited >= WAITING_LONG,
        conversation_url=conversation_url_for(item.guest, item.reservation),
        move_url=reverse(board.move_url_name, args=[item.public_id]),
        steps=board.steps.get(item.status, ()),
    )
    if isinstance(item, RoomServiceOrder):
        card.lines = order_lines(item.items)
        card.total = format_money(item.total, item.currency)
        card.details = item.notes
    else:
        card.request_type = str(HousekeepingType(item.request_type).label)
        card.details = item.details
    return card


def age(created: dt.datetime, now: dt.datetime) -> str:
    """ "just now", "12 minutes ago", "2 hours ago": how long the guest has been waiting."""
    if now - created < dt.timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(age)s ago") % {"age": timesince(created, now, depth=1)}


def order_lines(items: Any) -> list[Line]:
    """The order's items as the kitchen reads them. The agent writes them, but a malformed one
    (no name, a quantity that is no number) shows as well as it can instead of breaking the
    board for every order."""
    lines = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            quantity = max(int(item.get("quantity", 1)), 1)
        except (TypeError, ValueError):
            quantity = 1
        name = str(item.get("name") or "").strip() or "?"
        lines.append(Line(quantity=quantity, name=name, notes=str(item.get("notes") or "")))
    return lines


def format_money(amount: Decimal | None, currency: str) -> str:
    """ "IDR 150,000" in English, "IDR 150.000" in Indonesian; "" when the order has no total."""
    if amount is None:
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError):
        return ""
    code = (currency or "").upper()
    places = 0 if code in ZERO_DECIMAL_CURRENCIES else 2
    number = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{code} {number}".strip()


# --- moving an item ---------------------------------------------------------------------------


class MoveRefused(TranslatedError):
    """Why a move did not happen; `http_status` is the answer (400: not a move the board allows;
    409: the item is no longer where staff saw it)."""

    def __init__(self, http_status: int, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.http_status = http_status


TOLD = gettext_noop("The guest is told on WhatsApp.")
NOT_TOLD_SWITCHED_OFF = gettext_noop("The guest is not told: guest updates are off.")
NOT_TOLD_OPTED_OUT = gettext_noop("The guest is not told: they opted out of WhatsApp messages.")
NOT_TOLD_NO_PHONE = gettext_noop("The guest is not told: they have no WhatsApp number.")
NOT_TOLD_NOTHING_TO_SAY = ""


@dataclass(frozen=True)
class Moved:
    item: Item
    from_status: str
    to_status: str
    guest_told: str  # one of the TOLD / NOT_TOLD_* msgids ("" when nothing is said for it)
    message: MessageLog | None


def move(tenant: Tenant, board: Board, item: Item, from_status: str, to_status: str) -> Moved:
    """Move `item` from the status staff saw to the next one, and tell the guest if the hotel
    wants guests told. Raises MoveRefused and changes nothing when the move is not allowed or the
    item has moved on meanwhile."""
    if from_status not in board.steps or to_status not in board.steps:
        raise MoveRefused(400, gettext_noop("That is not a status of this board."))
    if to_status not in board.allowed(from_status):
        raise MoveRefused(
            400,
            gettext_noop("This %(item)s cannot go from %(from)s to %(to)s."),
            item=board.item_name,
            **{"from": board.labels[from_status], "to": board.labels[to_status]},
        )
    now = timezone.now()
    moved = board.model.objects.filter(tenant=tenant, pk=item.pk, status=from_status).update(
        status=to_status, updated_at=now
    )
    if not moved:
        current = (
            board.model.objects.filter(tenant=tenant, pk=item.pk)
            .values_list("status", flat=True)
            .first()
        )
        if current is None:
            raise MoveRefused(409, gettext_noop("This %(item)s is gone."), item=board.item_name)
        raise MoveRefused(
            409,
            gettext_noop(
                "The %(item)s for room %(room)s is already %(current)s: someone moved it "
                "meanwhile. The board shows it as it is now."
            ),
            item=board.item_name,
            room=item.room_number,
            current=board.labels.get(current, current),
        )
    item.status, item.updated_at = to_status, now
    told, message = notify_guest(tenant, board, item)
    log.info(
        "board_item_moved",
        board=board.kind,
        item_id=str(item.public_id),
        from_status=from_status,
        to_status=to_status,
        guest_told=message is not None,
    )
    return Moved(item, from_status, to_status, told, message)


# --- telling the guest ------------------------------------------------------------------------


def notifications_on(tenant: Tenant) -> bool:
    """The hotel's switch; on until an owner turns it off."""
    saved = (
        BoardSettings.objects.filter(tenant=tenant).values_list("notify_guests", flat=True).first()
    )
    return True if saved is None else saved


def set_notifications(tenant: Tenant, on: bool) -> None:
    BoardSettings.objects.update_or_create(tenant=tenant, defaults={"notify_guests": on})


def guest_language(tenant: Tenant, guest: Guest) -> str:
    """The guest's language if an update is written in it, else English."""
    language = services.primary_language(guest.language or tenant.default_language)
    return language if language in GUEST_LANGUAGES else "en"


def guest_text(board: Board, item: Item, language: str) -> str:
    """What the guest reads about `item` reaching its status, in `language`."""
    template = board.guest_texts[item.status]
    with translation.override(language):
        if isinstance(item, RoomServiceOrder):
            values = {
                "items": ", ".join(
                    f"{line.quantity} × {line.name}" for line in order_lines(item.items)
                ),
                "room": item.room_number,
            }
        else:
            values = {
                "type": str(HousekeepingType(item.request_type).label).lower(),
                "room": item.room_number,
            }
        return gettext(template) % values


def notify_guest(tenant: Tenant, board: Board, item: Item) -> tuple[str, MessageLog | None]:
    """Queue the guest's update for the status `item` just reached, if the hotel tells guests
    and this guest can be told. An opted-out guest gets nothing queued here, and the worker
    checks again before sending (messaging.jobs), in case they opt out meanwhile."""
    if item.status not in board.guest_texts:
        return NOT_TOLD_NOTHING_TO_SAY, None
    if not notifications_on(tenant):
        return NOT_TOLD_SWITCHED_OFF, None
    guest = item.guest
    if guest.opted_out_at:
        return NOT_TOLD_OPTED_OUT, None
    if not guest.phone_e164:
        return NOT_TOLD_NO_PHONE, None
    language = guest_language(tenant, guest)
    message = services.send_service_reply(
        tenant,
        guest=guest,
        reservation=item.reservation,
        text=guest_text(board, item, language),
        language=language,
        confirms_opt_out=False,
        # An item reaches each status once (moves only go forward), so one update per status.
        idempotency_key=f"board-update:{board.kind}:{item.public_id}:{item.status}",
    )
    return TOLD, message
