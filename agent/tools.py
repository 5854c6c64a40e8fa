"""The agent's tools: the only way any brain (the embedded engine or an LLM) acts for a guest.

Every tool is bound server-side to an AgentContext (the hotel, the guest who writes, their
current stay, the conversation): no tool takes a reservation, room or guest id, so nothing a
guest writes ("order for room 101") can point a tool at another stay, guest or hotel. Each call
returns a ToolResult: the text for the guest, structured data, and a line for staff.

An order is only a draft (PendingOrder) until the guest says yes; the yes is recognised by code
(agent.engine.confirmations), never by a model, and `confirm_pending_order` alone writes the
room_service_orders row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent import menu, retrieval
from agent.models import (
    FeedbackFollowUp,
    FollowUpOutcome,
    HousekeepingRequest,
    HousekeepingType,
    MenuItem,
    OrderStatus,
    PendingOrder,
    RequestStatus,
    RoomServiceOrder,
)
from agent.replies import join, say
from hotel import feedback
from hotel.models import FeedbackSource, FeedbackStatus, Guest, Reservation, ReservationStatus
from tenancy.models import Tenant

# Caps (per order, per stay): past them the agent hands the guest to staff instead.
MAX_QUANTITY_PER_ITEM = 10
MAX_ITEMS_PER_ORDER = 20
MAX_LINES_PER_ORDER = 10
# Per currency, in its major unit; others fall back to the largest menu price times 20.
MAX_ORDER_TOTAL = {"IDR": Decimal(5_000_000), "USD": Decimal(400), "EUR": Decimal(400)}
MAX_OPEN_ORDERS_PER_STAY = 5
MAX_OPEN_REQUESTS_PER_STAY = 5
DRAFT_LIFETIME = dt.timedelta(minutes=30)


# --- context and results -----------------------------------------------------------------------


@dataclass(frozen=True)
class AgentContext:
    """Who the agent acts for, decided by the server from the conversation, never by a message."""

    tenant: Tenant
    guest: Guest
    # The stay the conversation belongs to; None when there is none (orders then go to staff).
    reservation: Reservation | None
    # Identifies the conversation (its public id): the pending draft order is kept under it.
    conversation_key: str
    # The language of the turn (en, id, other): replies follow it.
    language: str = "en"
    now: dt.datetime | None = None
    # The stay whose post-stay follow-up waits for this guest's answer (agent.follow_up):
    # the only stay update_guest_feedback writes to; None offers no feedback to record.
    feedback_stay: Reservation | None = None

    def at(self) -> dt.datetime:
        return self.now or timezone.now()

    def speaking(self, language: str) -> AgentContext:
        return replace(self, language=language)


class ToolStatus(StrEnum):
    DONE = "done"  # a row was written or an answer given
    NEEDS_CONFIRMATION = "needs_confirmation"  # an order drafted, waiting for the guest's yes
    REFUSED = "refused"  # not on the menu, outside its hours, over a cap, no stay...
    NO_ANSWER = "no_answer"  # the knowledge base has no confident answer
    ESCALATED = "escalated"  # handed to staff
    INVALID = "invalid"  # the arguments were malformed (a model's mistake): nothing done


class EscalationReason(StrEnum):
    COMPLAINT = "complaint"
    ASKED_FOR_PERSON = "asked_for_person"
    UNANSWERED_QUESTION = "unanswered_question"
    UNSURE = "unsure"
    OTHER_LANGUAGE = "other_language"
    SUSPICIOUS = "suspicious"
    NO_STAY = "no_stay"
    OVER_LIMIT = "over_limit"
    MODEL_REQUEST = "model_request"
    # The guest's answer to the mid-stay check reports a problem: to be fixed before checkout.
    MID_STAY_PROBLEM = "mid_stay_problem"
    # The answer to the post-stay follow-up gave no rating, even when asked once more.
    FEEDBACK_UNCLEAR = "feedback_unclear"


@dataclass(frozen=True)
class Escalation:
    """The conversation must go to staff: the conversations side flags it, notifies staff and
    keeps the agent silent until a person hands it back."""

    reason: EscalationReason
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason.value, "detail": self.detail}


@dataclass(frozen=True)
class ToolResult:
    tool: str
    status: ToolStatus
    arguments: dict[str, Any]
    # What the agent tells the guest about it, in the guest's language.
    guest_text: str
    # Structured facts: order and request ids, items, totals, why refused...
    data: dict[str, Any] = field(default_factory=dict)
    escalation: Escalation | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for a conversation's system line and the model's tool message."""
        return {
            "tool": self.tool,
            "status": self.status.value,
            "arguments": self.arguments,
            "data": self.data,
            "escalation": self.escalation.as_dict() if self.escalation else None,
        }

    def staff_line(self) -> str:
        """One line for staff, in the language active when it is shown."""
        return staff_line(self.as_dict())


def staff_line(result: Mapping[str, Any]) -> str:
    """The staff line of a stored ToolResult.as_dict(): conversations keep the dict and render
    it in each staff member's language."""
    data = result.get("data") or {}
    status = result.get("status")
    tool = result.get("tool", "")
    summary = data.get("summary", "")
    if tool == "confirm_order" and status == ToolStatus.DONE:
        return _("Order placed for room %(room)s: %(summary)s") % {
            "room": data.get("room", ""),
            "summary": summary,
        }
    if status == ToolStatus.NEEDS_CONFIRMATION:
        return _("Order drafted, waiting for the guest's confirmation: %(summary)s") % {
            "summary": summary
        }
    if tool == "request_housekeeping" and status == ToolStatus.DONE:
        return _("Housekeeping request (%(type)s) for room %(room)s: %(details)s") % {
            "type": data.get("type", ""),
            "room": data.get("room", ""),
            "details": data.get("details", ""),
        }
    if tool == "answer_from_knowledge" and status == ToolStatus.DONE:
        return _("Answered from the knowledge base: %(question)s") % {
            "question": data.get("entry_question", "")
        }
    if tool == "update_guest_feedback" and status == ToolStatus.DONE:
        return _('Feedback recorded from the chat: %(rating)s/5, "%(comments)s"') % {
            "rating": data.get("rating", ""),
            "comments": data.get("comments", ""),
        }
    if status == ToolStatus.NO_ANSWER:
        return _("No confident answer in the knowledge base; handed to staff.")
    if status == ToolStatus.ESCALATED:
        escalation = result.get("escalation") or {}
        return _("Handed to staff: %(reason)s") % {
            "reason": escalation.get("detail") or escalation.get("reason", "")
        }
    if status == ToolStatus.INVALID:
        return _("%(tool)s was called with invalid arguments; nothing was done.") % {"tool": tool}
    return _("%(tool)s refused: %(why)s") % {"tool": tool, "why": data.get("why", "")}


# --- arguments (what a model may pass: no ids of any kind) ---------------------------------------


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderLine(_Arguments):
    name: str = Field(min_length=1, max_length=100, description="A dish or drink from the menu")
    quantity: int = Field(default=1, ge=1, le=999)
    notes: str = Field(default="", max_length=200, description="e.g. spicy, no ice")


class OrderArgs(_Arguments):
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)


class HousekeepingArgs(_Arguments):
    type: HousekeepingType
    details: str = Field(default="", max_length=500)


class KnowledgeArgs(_Arguments):
    question: str = Field(min_length=1, max_length=500)


class EscalateArgs(_Arguments):
    reason: str = Field(min_length=1, max_length=300)


class FeedbackArgs(_Arguments):
    rating: int = Field(ge=1, le=5, description="The guest's overall rating, 1 to 5")
    comments: str = Field(default="", max_length=4000, description="The guest's own words")


# --- the stay a tool may act on -------------------------------------------------------------------


def _stay(ctx: AgentContext) -> Reservation | None:
    """The bound stay, if the guest is in house in it: the only room anything goes to."""
    stay = ctx.reservation
    if (
        stay is None
        or stay.tenant_id != ctx.tenant.pk
        or stay.guest_id != ctx.guest.pk
        or ctx.guest.tenant_id != ctx.tenant.pk
        or stay.status != ReservationStatus.ON_STAY
        or not stay.room_number
    ):
        return None
    return stay


def _no_stay(tool: str, arguments: dict[str, Any], ctx: AgentContext) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.REFUSED,
        arguments,
        say("no_stay", ctx.language),
        {"why": "no stay in house"},
        Escalation(EscalationReason.NO_STAY, "no stay in house to send it to"),
    )


# --- room service ---------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str, ctx: AgentContext) -> str:
    return menu.format_money(amount, currency, ctx.language)


def menu_text(ctx: AgentContext, items: list[MenuItem] | None = None) -> str:
    """The items served now, with prices: what a refusal offers instead."""
    currency = menu.hotel_currency(ctx.tenant)
    moment = menu.hotel_time(ctx.tenant, ctx.at())
    served = [i for i in (items or menu.active_items(ctx.tenant)) if i.served_at(moment)]
    if not served:
        return say("menu_empty", ctx.language)
    lines = [
        say(
            "menu_line",
            ctx.language,
            name=item.name,
            amount=_money(item.price, currency, ctx),
            hours=f" ({menu.hours_text(item)})" if not item.all_day else "",
        )
        for item in served
    ]
    return say("menu_now", ctx.language, lines="\n".join(lines))


def _order_cap(currency: str, items: list[MenuItem]) -> Decimal:
    if currency in MAX_ORDER_TOTAL:
        return MAX_ORDER_TOTAL[currency]
    return max((item.price for item in items), default=Decimal(0)) * 20


def _summary(lines: list[dict[str, Any]]) -> str:
    return ", ".join(f"{line['quantity']} × {line['name']}" for line in lines)


@dataclass
class _Wanted:
    item: MenuItem
    quantity: int = 0
    notes: list[str] = field(default_factory=list)


def order_in_room_dining(ctx: AgentContext, args: OrderArgs) -> ToolResult:
    """Draft an order from the menu and ask the guest to confirm it; nothing reaches the kitchen
    until they do."""
    arguments = args.model_dump()
    name = "order_in_room_dining"
    stay = _stay(ctx)
    if stay is None:
        return _no_stay(name, arguments, ctx)
    items = menu.active_items(ctx.tenant)
    matcher = menu.MenuMatcher(items)
    moment = menu.hotel_time(ctx.tenant, ctx.at())
    currency = menu.hotel_currency(ctx.tenant)
    wanted: dict[int, _Wanted] = {}
    unknown: list[str] = []
    closed: list[MenuItem] = []
    for line in args.items:
        match = matcher.match(line.name)
        if match is None:
            unknown.append(line.name)
        elif not match.item.served_at(moment):
            closed.append(match.item)
        else:
            entry = wanted.setdefault(match.item.pk, _Wanted(match.item))
            entry.quantity += line.quantity
            if line.notes:
                entry.notes.append(line.notes)
    if unknown:
        text = say("not_on_menu", ctx.language, items=join(unknown, ctx.language))
        return ToolResult(
            name,
            ToolStatus.REFUSED,
            arguments,
            text + "\n\n" + menu_text(ctx, items),
            {"why": "not on the menu", "unknown": unknown},
        )
    if closed:
        first = closed[0]
        text = say("outside_hours", ctx.language, item=first.name, hours=menu.hours_text(first))
        return ToolResult(
            name,
            ToolStatus.REFUSED,
            arguments,
            text + "\n\n" + menu_text(ctx, items),
            {"why": "outside its hours", "closed": [item.name for item in closed]},
        )
    lines = [
        {
            "menu_item": str(w.item.public_id),
            "name": w.item.name,
            "quantity": w.quantity,
            "unit_price": str(w.item.price),
            "notes": "; ".join(w.notes),
        }
        for w in wanted.values()
    ]
    total = sum((w.item.price * w.quantity for w in wanted.values()), Decimal(0))
    too_many = any(w.quantity > MAX_QUANTITY_PER_ITEM for w in wanted.values()) or (
        sum(w.quantity for w in wanted.values()) > MAX_ITEMS_PER_ORDER
    )
    open_orders = RoomServiceOrder.objects.filter(
        tenant=ctx.tenant,
        reservation=stay,
        status__in=[OrderStatus.RECEIVED, OrderStatus.CONFIRMED],
    ).count()
    if too_many or total > _order_cap(currency, items) or open_orders >= MAX_OPEN_ORDERS_PER_STAY:
        return ToolResult(
            name,
            ToolStatus.REFUSED,
            arguments,
            say("order_too_large", ctx.language),
            {"why": "over the agent's limits", "summary": _summary(lines)},
            Escalation(EscalationReason.OVER_LIMIT, _summary(lines)),
        )
    PendingOrder.objects.update_or_create(
        tenant=ctx.tenant,
        conversation_key=ctx.conversation_key,
        defaults={
            "reservation": stay,
            "guest": ctx.guest,
            "items": lines,
            "total": total,
            "currency": currency,
            "expires_at": ctx.at() + DRAFT_LIFETIME,
        },
    )
    order_lines = "\n".join(
        say(
            "order_line",
            ctx.language,
            quantity=w.quantity,
            name=w.item.name + (f" ({'; '.join(w.notes)})" if w.notes else ""),
            amount=_money(w.item.price * w.quantity, currency, ctx),
        )
        for w in wanted.values()
    )
    return ToolResult(
        name,
        ToolStatus.NEEDS_CONFIRMATION,
        arguments,
        say(
            "order_confirm",
            ctx.language,
            room=stay.room_number,
            lines=order_lines,
            total=_money(total, currency, ctx),
        ),
        {
            "items": lines,
            "total": str(total),
            "currency": currency,
            "room": stay.room_number,
            "summary": _summary(lines) + f" ({_money(total, currency, ctx)})",
        },
    )


def pending_order(ctx: AgentContext) -> PendingOrder | None:
    """The conversation's draft, if it has one that has not expired."""
    return PendingOrder.objects.filter(
        tenant=ctx.tenant, conversation_key=ctx.conversation_key, expires_at__gt=ctx.at()
    ).first()


def confirm_pending_order(ctx: AgentContext) -> ToolResult | None:
    """The guest said yes: the draft becomes a room_service_orders row for the bound stay's room.
    None when there is no draft. Called by code that recognised the yes, never by a model.

    The draft is locked and deleted in the same transaction as the order is written, so a yes
    delivered twice, or two workers, write one order."""
    name = "confirm_order"
    with transaction.atomic():
        draft = (
            PendingOrder.objects.select_for_update()
            .filter(tenant=ctx.tenant, conversation_key=ctx.conversation_key)
            .first()
        )
        if draft is None:
            return None
        draft.delete()
        if draft.expires_at <= ctx.at():
            return ToolResult(
                name,
                ToolStatus.REFUSED,
                {},
                say("order_expired", ctx.language),
                {"why": "the draft expired"},
            )
        stay = _stay(ctx)
        if stay is None or draft.reservation_id != stay.pk or draft.guest_id != ctx.guest.pk:
            return _no_stay(name, {}, ctx)
        order = RoomServiceOrder.objects.create(
            tenant=ctx.tenant,
            reservation=stay,
            guest=ctx.guest,
            room_number=stay.room_number,
            items=[{**line, "currency": draft.currency} for line in draft.items],
            total=draft.total,
            currency=draft.currency,
        )
    total = _money(draft.total, draft.currency, ctx)
    return ToolResult(
        name,
        ToolStatus.DONE,
        {},
        say("order_placed", ctx.language, room=stay.room_number),
        {
            "order": str(order.public_id),
            "room": stay.room_number,
            "items": draft.items,
            "total": str(draft.total),
            "currency": draft.currency,
            "summary": _summary(draft.items) + f" ({total})",
        },
    )


def cancel_pending_order(ctx: AgentContext) -> ToolResult | None:
    """The guest said no: the draft is dropped. None when there was none."""
    deleted, _counts = PendingOrder.objects.filter(
        tenant=ctx.tenant, conversation_key=ctx.conversation_key
    ).delete()
    if not deleted:
        return None
    return ToolResult(
        "cancel_order",
        ToolStatus.DONE,
        {},
        say("order_cancelled", ctx.language),
        {"summary": "draft dropped"},
    )


# --- housekeeping, knowledge, escalation ---------------------------------------------------------


def request_housekeeping(ctx: AgentContext, args: HousekeepingArgs) -> ToolResult:
    arguments = args.model_dump(mode="json")
    name = "request_housekeeping"
    stay = _stay(ctx)
    if stay is None:
        return _no_stay(name, arguments, ctx)
    open_requests = HousekeepingRequest.objects.filter(
        tenant=ctx.tenant,
        reservation=stay,
        status__in=[RequestStatus.OPEN, RequestStatus.IN_PROGRESS],
    ).count()
    if open_requests >= MAX_OPEN_REQUESTS_PER_STAY:
        return ToolResult(
            name,
            ToolStatus.REFUSED,
            arguments,
            say("too_many_requests", ctx.language),
            {"why": "too many open requests"},
            Escalation(EscalationReason.OVER_LIMIT, "too many open housekeeping requests"),
        )
    request = HousekeepingRequest.objects.create(
        tenant=ctx.tenant,
        reservation=stay,
        guest=ctx.guest,
        room_number=stay.room_number,
        request_type=args.type,
        details=args.details,
    )
    return ToolResult(
        name,
        ToolStatus.DONE,
        arguments,
        say(f"housekeeping_{args.type}", ctx.language, room=stay.room_number),
        {
            "request": str(request.public_id),
            "type": str(args.type),
            "room": stay.room_number,
            "details": args.details,
        },
    )


def answer_from_knowledge(ctx: AgentContext, args: KnowledgeArgs) -> ToolResult:
    """The hotel's own answer, or none: below the retrieval's gate nothing is invented and the
    question goes to staff."""
    arguments = args.model_dump()
    languages = [ctx.language, ctx.tenant.default_language, "en"]
    found = retrieval.retrieve(ctx.tenant, args.question, languages)
    gate = {
        "rule": found.rule,
        "lexical_topic": found.lexical_topic,
        "lexical_score": found.lexical_score,
        "embedding_topic": found.embedding_topic,
        "cosine": found.cosine,
        "margin": found.cosine_margin,
    }
    if found.entry is None:
        return ToolResult(
            "answer_from_knowledge",
            ToolStatus.NO_ANSWER,
            arguments,
            say("holding_question", ctx.language),
            {"gate": gate},
            Escalation(EscalationReason.UNANSWERED_QUESTION, args.question[:200]),
        )
    return ToolResult(
        "answer_from_knowledge",
        ToolStatus.DONE,
        arguments,
        found.entry.answer,
        {
            "entry": str(found.entry.public_id),
            "entry_question": found.entry.question,
            "topic": found.entry.topic,
            "gate": gate,
        },
    )


HOLDING_FOR = {
    EscalationReason.COMPLAINT: "complaint",
    EscalationReason.ASKED_FOR_PERSON: "human",
    EscalationReason.UNANSWERED_QUESTION: "holding_question",
    EscalationReason.MID_STAY_PROBLEM: "mid_stay_problem",
    EscalationReason.FEEDBACK_UNCLEAR: "feedback_to_staff",
}


def escalation(
    ctx: AgentContext,
    reason: EscalationReason,
    detail: str = "",
    arguments: dict[str, Any] | None = None,
) -> ToolResult:
    return ToolResult(
        "escalate_to_human",
        ToolStatus.ESCALATED,
        arguments if arguments is not None else {"reason": detail or reason.value},
        say(HOLDING_FOR.get(reason, "holding"), ctx.language),
        {},
        Escalation(reason, detail[:300]),
    )


def escalate_to_human(ctx: AgentContext, args: EscalateArgs) -> ToolResult:
    return escalation(ctx, EscalationReason.MODEL_REQUEST, args.reason, args.model_dump())


# --- the post-stay follow-up's answer ----------------------------------------------------------


def _feedback_stay(ctx: AgentContext) -> Reservation | None:
    """The stay whose follow-up waits for this guest's answer, if its feedback is still open."""
    stay = ctx.feedback_stay
    if (
        stay is None
        or stay.tenant_id != ctx.tenant.pk
        or stay.guest_id != ctx.guest.pk
        or stay.feedback_status != FeedbackStatus.PENDING
    ):
        return None
    return stay


def update_guest_feedback(ctx: AgentContext, args: FeedbackArgs) -> ToolResult:
    """Record the guest's rating and words for the stay the follow-up asked about: the same
    fields as the feedback form (hotel.feedback.record, source chat)."""
    arguments = args.model_dump()
    name = "update_guest_feedback"
    stay = _feedback_stay(ctx)
    if stay is None:
        return ToolResult(
            name,
            ToolStatus.REFUSED,
            arguments,
            "",
            {"why": "no feedback is waiting for this guest's answer"},
        )
    comments = args.comments.strip()
    feedback.record(stay, args.rating, comments, source=FeedbackSource.CHAT)
    FeedbackFollowUp.objects.filter(tenant=ctx.tenant, reservation=stay).update(
        outcome=FollowUpOutcome.RECORDED, comments="", updated_at=timezone.now()
    )
    first_name = ctx.guest.first_name.strip()
    text = say(
        "feedback_thanks",
        ctx.language,
        name=f", {first_name}" if first_name else "",
        rating=args.rating,
    )
    if feedback.is_low(args.rating):
        text += "\n\n" + say("feedback_sorry", ctx.language)
    return ToolResult(
        name,
        ToolStatus.DONE,
        arguments,
        text,
        {"rating": args.rating, "comments": comments[:300], "summary": f"{args.rating}/5"},
    )


# --- the registry (what an LLM is offered) --------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    arguments: type[_Arguments]
    handler: Callable[[AgentContext, Any], ToolResult]
    writes: bool
    description: str


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "order_in_room_dining",
            OrderArgs,
            order_in_room_dining,
            True,
            "Draft a room-service order for the guest's own room from the hotel's menu. The "
            "guest must confirm it before it is placed; tell them the returned text.",
        ),
        Tool(
            "request_housekeeping",
            HousekeepingArgs,
            request_housekeeping,
            True,
            "Ask housekeeping or maintenance for something in the guest's own room.",
        ),
        Tool(
            "answer_from_knowledge",
            KnowledgeArgs,
            answer_from_knowledge,
            False,
            "Find the hotel's own answer to a guest's question. Never answer hotel questions "
            "without it.",
        ),
        Tool(
            "escalate_to_human",
            EscalateArgs,
            escalate_to_human,
            True,
            "Hand the conversation to hotel staff (complaints, anything you are unsure of).",
        ),
        Tool(
            "update_guest_feedback",
            FeedbackArgs,
            update_guest_feedback,
            True,
            "Record the guest's rating (1-5) and comments on the stay the hotel's follow-up "
            "asked about. Only while such a follow-up waits for their answer.",
        ),
    )
}


def call_tool(name: str, raw_arguments: Mapping[str, Any] | str, ctx: AgentContext) -> ToolResult:
    """Run a tool by name with arguments as a model produced them; malformed arguments come
    back as an INVALID result (in-band, so a model can correct itself) and do nothing."""
    tool = TOOLS.get(name)
    if tool is None:
        return ToolResult(name, ToolStatus.INVALID, {}, "", {"why": "no such tool"})
    try:
        raw = json.loads(raw_arguments) if isinstance(raw_arguments, str) else raw_arguments
        arguments = tool.arguments.model_validate(raw)
    except (ValidationError, ValueError, TypeError) as problem:
        errors = (
            problem.errors(include_url=False, include_input=False)
            if isinstance(problem, ValidationError)
            else [{"msg": str(problem)}]
        )
        return ToolResult(
            name,
            ToolStatus.INVALID,
            {},
            "",
            {"why": "invalid arguments", "errors": json.loads(json.dumps(errors, default=str))},
        )
    return tool.handler(ctx, arguments)
