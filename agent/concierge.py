"""The concierge answering a guest's turn in a conversation (settings.CONVERSATION_RESPONDER).

conversations.turns calls `answer_turn` outside any transaction with the turn: the hotel, the
guest and stay the server matched to the chat (never what the message claims), the conversation
and the guest's words since the last answer. The brain is the embedded engine (agent.engine);
its tools write their own rows in one transaction for the hotel. What comes back is shaped like
conversations.turns.Reply (this app sits on the same layer row and does not import it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from agent import engine, llm_config, replies
from agent.engine import language as languages
from agent.tools import AgentContext, ToolResult
from innbox.logs import get_logger

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
    engine's; either way the tools' calls as staff lines, and any escalation."""
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
    context = AgentContext(
        tenant=tenant,
        guest=turn.guest,
        reservation=turn.reservation,
        conversation_key=str(turn.conversation.public_id),
        language=_language_of(turn),
    )
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


def _with_llm(turn: Any) -> ConciergeAnswer:
    """The tool loop over the configured model, with the same tools bound to the same stay. A
    model that cannot be reached raises a retryable IntegrationError: the turn is retried,
    then handed to staff (conversations.turns)."""
    from agent.llm import answer_with_llm  # the model client loads only in LLM mode
    from agent.toolbox import EngineToolBox

    toolbox = EngineToolBox.for_turn(turn)
    if toolbox is None:
        return _unknown_sender(turn)
    answer = answer_with_llm(turn, toolbox)
    log.info("concierge_answered", brain="llm", escalated=bool(answer.escalate))
    return ConciergeAnswer(
        text=answer.text,
        language=answer.language,
        staff_lines=list(answer.staff_lines),
        escalate=answer.escalate,
    )


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
