"""The concierge answering a guest's turn in a conversation (settings.CONVERSATION_RESPONDER).

conversations.turns calls `answer_turn` outside any transaction with the turn: the hotel, the
guest and stay the server matched to the chat (never what the message claims), the conversation
and the guest's words since the last answer. The brain is the embedded engine (agent.engine);
its tools write their own rows in one transaction for the hotel. What comes back is shaped like
conversations.turns.Reply (this app sits on the same layer row and does not import it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation

from agent import engine, follow_up, llm_config, replies
from agent.engine import journey
from agent.engine import language as languages
from agent.models import FeedbackFollowUp, FollowUpOutcome
from agent.tools import AgentContext, ToolResult
from innbox.logs import get_logger
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant

log = get_logger(__name__)


@dataclass
class ConciergeAnswer:
    text: str = ""
    language: str = ""
    # One line per tool call and its result, for staff only (in the hotel's language).
    staff_lines: list[str] = field(default_factory=list)
    # Why a person must take over; empty while the concierge can go on.
    escalate: str = ""


def answer_turn(turn: Any) -> ConciergeAnswer:
    """One guest turn: the LLM's answer when one is configured (agent.llm), else the embedded
    engine's; either way the tools' calls as staff lines, and any escalation. A turn that
    answers the hotel's own question (the mid-stay check, the post-stay follow-up) is answered
    as such."""
    if turn.guest is None:
        return _unknown_sender(turn)
    if llm_config.brain() == "llm":
        return _with_llm(turn)
    return answer_with_engine(turn)


def answer_with_engine(turn: Any) -> ConciergeAnswer:
    """The embedded engine's answer (no LLM): what `make run`'s demo shows."""
    tenant = turn.tenant
    if turn.guest is None:
        return _unknown_sender(turn)
    waiting = follow_up.waiting_for(turn)
    context = AgentContext(
        tenant=tenant,
        guest=turn.guest,
        reservation=turn.reservation,
        conversation_key=str(turn.conversation.public_id),
        language=_language_of(turn),
        feedback_stay=waiting.reservation if waiting else None,
    )
    result = None
    if waiting is not None:
        result = _answer_follow_up(turn, context, waiting)
    elif answers_mid_stay_check(turn):
        result = journey.answer_mid_stay_check(turn.text, context)
    if result is None:
        result = engine.decide(turn.text, context)
    with translation.override(tenant.default_language or "en"):
        lines = [call.staff_line() for call in result.tool_calls]
        escalate = _why(result.escalation, result.tool_calls)
    log.info(
        "concierge_answered",
        intent=result.intent,
        tools=[call.tool for call in result.tool_calls],
        escalated=bool(escalate),
    )
    return ConciergeAnswer(
        text=result.reply, language=result.language, staff_lines=lines, escalate=escalate
    )


def _answer_follow_up(
    turn: Any, context: AgentContext, waiting: FeedbackFollowUp
) -> engine.AgentTurnResult | None:
    answer = journey.answer_follow_up(
        turn.text,
        context,
        asked_before=waiting.asked_rating_at is not None,
        earlier_words=waiting.comments,
    )
    if answer is None:
        return None
    if answer.rating is None:
        follow_up.settle(
            waiting,
            asked=answer.asked,
            to_staff=answer.result.escalation is not None,
            comments=answer.comments,
        )
    return answer.result


# The mid-stay check's answer: the guest's words within this long of it (later ones are about
# something else).
MID_STAY_ANSWER_WINDOW = dt.timedelta(hours=24)
# The hotel's own words, not the journey's: the concierge's replies, staff's messages.
NOT_AUTOMATED = [MessageOrigin.AGENT, MessageOrigin.MANUAL, MessageOrigin.HOTEL_PHONE, ""]


def answers_mid_stay_check(turn: Any) -> bool:
    """Whether the turn answers the mid-stay check: the journey's last message in this chat
    before the turn was the check ("How is everything?"), sent within the last day. The
    concierge's own replies in between do not end it: a problem mentioned later that day is
    still one to fix before checkout."""
    if not turn.messages:
        return False
    with acting_for_tenant(turn.tenant.id):
        last = (
            MessageLog.objects.filter(
                Q(chat_id=turn.conversation.chat_id) | Q(guest=turn.guest, chat_id=""),
                tenant=turn.tenant,
                direction=Direction.OUTBOUND,
                pk__lt=turn.messages[0].pk,
            )
            .exclude(status=MessageStatus.FAILED)
            .exclude(origin__in=NOT_AUTOMATED)
            .order_by("-pk")
            .first()
        )
    if last is None or last.origin != MessageOrigin.MID_STAY:
        return False
    return (last.sent_at or last.created_at) >= timezone.now() - MID_STAY_ANSWER_WINDOW


def _with_llm(turn: Any) -> ConciergeAnswer:
    """The tool loop over the configured model, with the same tools bound to the same stay. A
    model that cannot be reached raises a retryable IntegrationError: the turn is retried,
    then handed to staff (conversations.turns)."""
    from agent.llm import FEEDBACK_FOLLOW_UP, MID_STAY_CHECK, Situation, answer_with_llm
    from agent.toolbox import EngineToolBox

    waiting = follow_up.waiting_for(turn)
    toolbox = EngineToolBox.for_turn(turn, feedback_stay=waiting.reservation if waiting else None)
    if toolbox is None:
        return _unknown_sender(turn)
    situation = None
    if waiting is not None:
        situation = Situation(FEEDBACK_FOLLOW_UP, asked_rating=waiting.asked_rating_at is not None)
    elif answers_mid_stay_check(turn):
        situation = Situation(MID_STAY_CHECK)
    answer = answer_with_llm(turn, toolbox, situation=situation)
    escalate = answer.escalate
    lines = list(answer.staff_lines)
    if situation is not None and situation.kind == MID_STAY_CHECK and not escalate:
        escalate = _mid_stay_problem_missed(turn, toolbox.ctx, lines)
    if waiting is not None:
        escalate = _after_llm_follow_up(waiting, situation, turn.text, escalate)
    log.info("concierge_answered", brain="llm", escalated=bool(escalate))
    return ConciergeAnswer(
        text=answer.text, language=answer.language, staff_lines=lines, escalate=escalate
    )


def _mid_stay_problem_missed(turn: Any, ctx: AgentContext, lines: list[str]) -> str:
    """Code's check after the model: a reply to the mid-stay check that the embedded engine
    reads as a problem goes to staff even if the model did not hand it over."""
    if not journey.reports_a_problem(turn.text, ctx):
        return ""
    reason = journey.MID_STAY_DETAIL % turn.text.strip()[:200]
    with translation.override(turn.tenant.default_language or "en"):
        lines.append(
            translation.gettext(
                "The reply to the mid-stay check reads as a problem; handed to staff."
            )
        )
    return reason


def _after_llm_follow_up(
    waiting: FeedbackFollowUp, situation: Any, text: str, escalate: str
) -> str:
    """The model recorded the rating (update_guest_feedback settles the follow-up itself), or
    it did not: then it asked for a rating, once; the next unclear answer goes to staff, by
    code if the model did not hand it over. Returns the escalation reason, if any."""
    with acting_for_tenant(waiting.tenant_id):
        waiting.refresh_from_db(fields=["outcome"])
    if waiting.outcome != FollowUpOutcome.WAITING:
        return escalate
    if situation.asked_rating and not escalate:
        escalate = f"Feedback follow-up without a clear rating: {text.strip()[:200]}"
    comments = "\n".join(part for part in (waiting.comments.strip(), text.strip()) if part)
    follow_up.settle(
        waiting, asked=not situation.asked_rating, to_staff=bool(escalate), comments=comments
    )
    return escalate


def _language_of(turn: Any) -> str:
    """The guest's language as the PMS knows it; the engine follows the words of the turn."""
    guest_language = (turn.guest.language or "").split("-")[0].lower()
    return guest_language or turn.tenant.default_language or "en"


def _why(escalation: Any, calls: list[ToolResult]) -> str:
    if escalation is None:
        return ""
    for call in calls:
        if call.escalation is escalation:
            return call.staff_line()
    return str(escalation.detail or escalation.reason)


def _unknown_sender(turn: Any) -> ConciergeAnswer:
    """A number that matches no guest: the concierge knows no stay to act for, so it says a
    person will answer (in the words' language), and asks staff to."""
    spoken = languages.detect(turn.text) or turn.tenant.default_language or "en"
    language = replies.reply_language(spoken)
    with translation.override(turn.tenant.default_language or "en"):
        reason = translation.gettext("A number that matches no guest wrote; a person answers.")
    return ConciergeAnswer(
        text=replies.say("holding", language),
        language=language,
        escalate=reason,
    )
