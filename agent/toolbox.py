"""The LLM mode's ToolBox (agent.llm.ToolBox) over the concierge's tools (agent.tools): the same
tools the embedded engine uses, bound to one turn's guest, stay and conversation.

    toolbox = EngineToolBox.for_turn(turn)   # None for a number that matches no guest
    answer = agent.llm.answer_with_llm(turn, toolbox)

Each call runs in the hotel's row-level-security context (a turn's responder is called outside
any transaction) and turns the tool's ToolResult into a ToolOutcome: the hotel's words for the
guest, a staff line, an escalation, and the facts the model may see (no ids, no retrieval
internals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import agent.engine as engine
import agent.engine.language as languages
import agent.tools as tools
from agent.llm import HousekeepingKind, OrderItem, ToolOutcome
from agent.replies import reply_language
from agent.text import normalize
from tenancy.db import acting_for_tenant

# What of a tool's data the model is shown: enough to phrase an answer, nothing to act with.
FACTS_FOR_THE_MODEL = (
    "summary",
    "total",
    "currency",
    "room",
    "why",
    "unknown",
    "closed",
    "type",
    "details",
    "topic",
)


def outcome(result: tools.ToolResult) -> ToolOutcome:
    escalation = result.escalation
    return ToolOutcome(
        status=str(result.status.value),
        say=result.guest_text,
        staff_line=result.staff_line(),
        escalate=(escalation.detail or escalation.reason.value) if escalation else "",
        facts={key: result.data[key] for key in FACTS_FOR_THE_MODEL if key in result.data},
    )


class EngineToolBox:
    def __init__(self, ctx: tools.AgentContext) -> None:
        self.ctx = ctx

    @classmethod
    def for_turn(cls, turn: Any, *, feedback_stay: Any = None) -> EngineToolBox | None:
        """The toolbox of a conversations.turns.Turn: its guest, their stay, the conversation
        (drafts are kept under its public id, so the embedded engine and the LLM share them),
        and the language the guest wrote in (else theirs, else the hotel's). `feedback_stay`:
        the stay whose post-stay follow-up waits for this guest's answer (agent.follow_up)."""
        if turn.guest is None:
            return None
        detected = languages.detect(turn.text)
        fallback = turn.guest.language or turn.tenant.default_language
        language = detected if detected in ("en", "id") else reply_language(fallback)
        return cls(
            tools.AgentContext(
                tenant=turn.tenant,
                guest=turn.guest,
                reservation=turn.reservation,
                conversation_key=str(turn.conversation.public_id),
                language=language,
                feedback_stay=feedback_stay,
            )
        )

    @property
    def language(self) -> str:
        return self.ctx.language

    def _call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        with acting_for_tenant(self.ctx.tenant.id):
            return outcome(tools.call_tool(name, arguments, self.ctx))

    def confirmation(self, text: str) -> ToolOutcome | None:
        # The engine's own yes/no recognition, so both brains confirm alike. It is private to
        # the engine today (engine._confirmation); it should become a public function.
        raw = (text or "")[: engine.MAX_TURN_CHARACTERS]
        normalized = normalize(raw)
        turn = engine._Turn(raw, normalized, normalized.split(), self.ctx.language, self.ctx)
        with acting_for_tenant(self.ctx.tenant.id):
            decided = engine._confirmation(turn)
        if decided is None or not decided.tool_calls:
            return None
        return outcome(decided.tool_calls[0])

    def order_in_room_dining(self, items: Sequence[OrderItem]) -> ToolOutcome:
        lines = [item.model_dump() for item in items]
        return self._call("order_in_room_dining", {"items": lines})

    def request_housekeeping(self, kind: HousekeepingKind, details: str) -> ToolOutcome:
        return self._call("request_housekeeping", {"type": kind, "details": details})

    def answer_from_knowledge(self, question: str) -> ToolOutcome:
        return self._call("answer_from_knowledge", {"question": question})

    def escalate_to_human(self, reason: str) -> ToolOutcome:
        return self._call("escalate_to_human", {"reason": reason})

    def update_guest_feedback(self, rating: int, comments: str) -> ToolOutcome:
        return self._call("update_guest_feedback", {"rating": rating, "comments": comments})
