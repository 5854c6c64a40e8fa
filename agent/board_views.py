"""/orders/ and /requests/: the boards, their live fragment, the move buttons, the guest switch.

The logic lives in agent.boards; these views read the request and choose the answer. A move
answers HTMX with the board as it now is (200, or 400/409 with the refusal shown above it, which
innbox.js lets HTMX swap in); without JavaScript the form posts and comes back to the page.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from agent import boards
from agent.permissions import SET_GUEST_UPDATES, WORK_BOARDS
from innbox.redirects import back_to
from tenancy.access import MemberRequest, get_for_member
from tenancy.permissions import requires


@requires(WORK_BOARDS)
@require_GET
def orders(request: MemberRequest) -> HttpResponse:
    return _page(request, boards.ORDERS)


@requires(WORK_BOARDS)
@require_GET
def requests(request: MemberRequest) -> HttpResponse:
    return _page(request, boards.REQUESTS)


@never_cache
@requires(WORK_BOARDS)
@require_GET
def orders_board(request: MemberRequest) -> HttpResponse:
    return _fragment(request, boards.ORDERS)


@never_cache
@requires(WORK_BOARDS)
@require_GET
def requests_board(request: MemberRequest) -> HttpResponse:
    return _fragment(request, boards.REQUESTS)


@requires(WORK_BOARDS)
@require_POST
def move_order(request: MemberRequest, public_id: UUID) -> HttpResponse:
    return _move(request, boards.ORDERS, public_id)


@requires(WORK_BOARDS)
@require_POST
def move_request(request: MemberRequest, public_id: UUID) -> HttpResponse:
    return _move(request, boards.REQUESTS, public_id)


@requires(SET_GUEST_UPDATES)
@require_POST
def guest_updates(request: MemberRequest) -> HttpResponse:
    """The owner's switch: guests are told when their order or request moves on, or not."""
    on = request.POST.get("notify_guests") == "on"
    boards.set_notifications(request.tenant, on)
    if on:
        messages.success(request, _("Guests are now told when their order or request moves on."))
    else:
        messages.success(
            request, _("Guests are no longer told when their order or request moves on.")
        )
    return back_to(request, "back", "orders")


def _is_htmx(request: MemberRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(request: MemberRequest, board: boards.Board, **extra: Any) -> dict[str, Any]:
    return {
        "view": boards.board_view(request.tenant, board),
        "board": board,
        "board_url": reverse(f"{board.kind}_board"),
        "notify_guests": boards.notifications_on(request.tenant),
        **extra,
    }


def _page(
    request: MemberRequest,
    board: boards.Board,
    *,
    notice: str = "",
    refused: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = _context(request, board, notice=notice, refused=refused)
    return render(request, "agent/board.html", context, status=status)


def _fragment(request: MemberRequest, board: boards.Board) -> HttpResponse:
    """The board alone, for the page's poll: nothing (204) when nothing it shows has changed."""
    if request.GET.get("version") == boards.version(request.tenant, board):
        return HttpResponse(status=204)
    return render(request, "agent/partials/board.html", _context(request, board, live=True))


def _move(request: MemberRequest, board: boards.Board, public_id: UUID) -> HttpResponse:
    item: boards.Item = get_for_member(request, board.model, public_id=public_id)  # type: ignore[assignment]
    try:
        moved = boards.move(
            request.tenant,
            board,
            item,
            request.POST.get("from", ""),
            request.POST.get("to", ""),
        )
    except boards.MoveRefused as refusal:
        if _is_htmx(request):
            context = _context(request, board, live=True, notice=str(refusal), refused=True)
            return render(request, "agent/partials/board.html", context, status=refusal.http_status)
        return _page(request, board, notice=str(refusal), refused=True, status=refusal.http_status)
    notice = _("Room %(room)s: %(status)s.") % {
        "room": moved.item.room_number,
        "status": board.label(moved.to_status),
    }
    if moved.guest_told:
        notice = f"{notice} {_(moved.guest_told)}"
    if _is_htmx(request):
        context = _context(request, board, live=True, notice=notice)
        return render(request, "agent/partials/board.html", context)
    messages.success(request, notice)
    return redirect(board.kind)
