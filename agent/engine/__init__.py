"""The embedded engine: the agent's brain when no LLM is configured. Deterministic, English and
Indonesian, and quick to hand a guest to staff.

    decide(turn_text, context) -> AgentTurnResult

One guest turn in, the reply and every tool call out. The engine knows nothing of conversation
models: the conversations app builds the AgentContext (hotel, guest, current stay, conversation
key), sends the reply, shows each tool result to staff as a system line, and flags the
conversation when the result carries an escalation.

The order of the rules is the policy:
 1. a yes / no to a drafted order (recognised here, in code) confirms or drops it;
 2. attempts to steer the agent ("ignore your instructions", "all guests", another room) go to
    staff untouched; so do messages in other languages, requests for a person and complaints;
 3. dishes from the menu → a draft order (confirmation asked); housekeeping words → a request;
 4. questions → the knowledge base, answered only above its confidence gate;
 5. greetings and thanks get a friendly word; anything else goes to staff with a holding reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent import menu, tools
from agent.engine import language as languages
from agent.engine import orders, words
from agent.models import HousekeepingType, MenuItem
from agent.replies import reply_language, say
from agent.text import normalize
from agent.tools import AgentContext, Escalation, EscalationReason, ToolResult, ToolStatus
from tenancy.db import acting_for_tenant

MAX_TURN_CHARACTERS = 2000
_ROOM_MENTION = re.compile(r"\b(?:room|kamar|rm|nomor)\s+(\d{1,5})\b")


@dataclass
class AgentTurnResult:
    """What the agent does with one guest turn."""

    # The message to send the guest, in their language ("" sends nothing).
    reply: str
    language: str
    # What the engine understood: order, confirm, cancel, housekeeping, question, menu,
    # small_talk, escalate. For staff and for the evaluation.
    intent: str
    # Every tool call with its result, in order: each becomes a staff-only system line.
    tool_calls: list[ToolResult] = field(default_factory=list)
    # Set when the conversation must go to staff (and the agent fall silent).
    escalation: Escalation | None = None


@dataclass
class _Turn:
    raw: str
    text: str
    tokens: list[str]
    language: str
    ctx: AgentContext

    def has(self, phrases: tuple[tuple[str, ...], ...]) -> bool:
        padded = f" {self.text} "
        return any(f" {' '.join(phrase)} " in padded for phrase in phrases)

    def any_word(self, vocabulary: frozenset[str]) -> bool:
        # "acnya", "toiletnya": Indonesian's -nya ("the ...") on the word itself.
        return any(
            token in vocabulary or (token.endswith("nya") and token[:-3] in vocabulary)
            for token in self.tokens
        )


def decide(turn_text: str, context: AgentContext) -> AgentTurnResult:
    """One turn, in one transaction for the context's hotel: its tool writes (a draft, an
    order, a request) happen together or not at all, and under RLS see only that hotel."""
    with acting_for_tenant(context.tenant.id):
        return _decide(turn_text, context)


def read_turn(turn_text: str, context: AgentContext) -> tuple[_Turn, str]:
    """The turn's words, normalised, and the language to answer in; with the language the
    words were detected as ("other", "" too few words)."""
    raw = (turn_text or "")[:MAX_TURN_CHARACTERS]
    text = normalize(raw)
    detected = languages.detect(raw)
    # Too few words to tell, or another language: the guest's own language, else English.
    language = detected if detected in ("en", "id") else reply_language(context.language)
    ctx = context.speaking(language)
    return _Turn(raw, text, text.split(), language, ctx), detected


def _decide(turn_text: str, context: AgentContext) -> AgentTurnResult:
    turn, detected = read_turn(turn_text, context)
    raw, text, language = turn.raw, turn.text, turn.language

    answered = _confirmation(turn)
    if answered:
        return answered
    if not text and not raw.strip():
        return _escalate(turn, EscalationReason.UNSURE, "empty message", "escalate")
    if turn.has(words.INJECTION) or _other_room(turn):
        return _escalate(turn, EscalationReason.SUSPICIOUS, "asked for something beyond their stay")
    if detected == languages.OTHER:
        return _escalate(turn, EscalationReason.OTHER_LANGUAGE, "written in another language")
    if turn.has(words.ASKS_FOR_PERSON):
        return _escalate(turn, EscalationReason.ASKED_FOR_PERSON, raw[:200])
    if turn.has(words.COMPLAINT):
        return _escalate(turn, EscalationReason.COMPLAINT, raw[:200])
    acted = _act(turn)
    if acted:
        return acted
    if _is_small_talk(turn):
        key = "thanks" if turn.any_word(words.THANKS) else "greeting"
        return AgentTurnResult(say(key, language), language, "small_talk")
    return _knowledge(turn, asked=_is_question(turn))


# --- 1. confirming a draft -----------------------------------------------------------------------


def _only(turn: _Turn, vocabulary: frozenset[str], emoji: tuple[str, ...]) -> bool:
    """The whole message is a yes (or a no): its words, polite words around it, its emoji."""
    has_emoji = any(symbol in turn.raw for symbol in emoji)
    meaningful = [t for t in turn.tokens if t not in words.POLITE or t in vocabulary]
    hits = [t for t in meaningful if t in vocabulary]
    return (bool(hits) or has_emoji) and len(hits) == len(meaningful)


def _confirmation(turn: _Turn) -> AgentTurnResult | None:
    says_no = _only(turn, words.REFUSE, words.REFUSE_EMOJI) or turn.text in {
        "ga jadi",
        "gak jadi",
        "nggak jadi",
        "tidak jadi",
        "never mind",
        "nevermind",
        "batal saja",
        "batal aja",
        "no thanks",
        "no thank you",
        "cancel it",
        "cancel the order",
    }
    says_yes = not says_no and _only(turn, words.CONFIRM, words.CONFIRM_EMOJI)
    # "ok, cancel", "yes no": a yes and a no at once is neither (Indonesian's "ya" and "jadi"
    # are particles: "batal ya" is a no).
    firm_yes = (words.CONFIRM - {"ya", "jadi", "boleh"}) & set(turn.tokens)
    if firm_yes and set(turn.tokens) & words.REFUSE:
        return None
    if says_yes:
        result = tools.confirm_pending_order(turn.ctx)
        if result is not None:
            return _from_tools(turn, "confirm", [result])
    if says_no:
        result = tools.cancel_pending_order(turn.ctx)
        if result is not None:
            return _from_tools(turn, "cancel", [result])
    return None


# --- 2. escalations ------------------------------------------------------------------------------


def _other_room(turn: _Turn) -> bool:
    """A room number other than the guest's own: nothing may go there from this chat."""
    own = turn.ctx.reservation.room_number if turn.ctx.reservation else ""
    return any(number != own for number in _ROOM_MENTION.findall(turn.text))


def _escalate(
    turn: _Turn, reason: EscalationReason, detail: str, intent: str = "escalate"
) -> AgentTurnResult:
    result = tools.escalation(turn.ctx, reason, detail)
    return AgentTurnResult(result.guest_text, turn.language, intent, [result], result.escalation)


def _from_tools(turn: _Turn, intent: str, results: list[ToolResult]) -> AgentTurnResult:
    escalation = next((r.escalation for r in results if r.escalation), None)
    reply = "\n\n".join(r.guest_text for r in results if r.guest_text)
    return AgentTurnResult(reply, turn.language, intent, results, escalation)


# --- 3. orders and housekeeping ------------------------------------------------------------------


def _housekeeping_type(turn: _Turn) -> HousekeepingType | None:
    if turn.has(words.FAULTS) and turn.any_word(words.FIXTURES):
        return HousekeepingType.MAINTENANCE
    if turn.has(words.TOWELS):
        return HousekeepingType.TOWELS
    if turn.has(words.CLEANING):
        return HousekeepingType.CLEANING
    if turn.has(words.AMENITIES):
        return HousekeepingType.AMENITIES
    return None


def _is_question(turn: _Turn) -> bool:
    return "?" in turn.raw or bool(turn.tokens and turn.tokens[0] in words.QUESTION_STARTS)


def _act(turn: _Turn) -> AgentTurnResult | None:
    items = menu.active_items(turn.ctx.tenant)
    reading = orders.read_order(turn.tokens, menu.MenuMatcher(items))
    strong = turn.has(words.STRONG_ORDER_CUES)
    weak = turn.has(words.WEAK_ORDER_CUES)
    question = _is_question(turn)
    results: list[ToolResult] = []
    intent = ""
    kind = _housekeeping_type(turn)

    # Dishes named without any order word count as an order only in a message of little else:
    # "no hot water" names water, and is no order.
    ordering = bool(reading.mentions) and (
        strong
        or weak
        or reading.has_quantity
        or (reading.unexplained <= 1 and not question and kind is None)
    )
    if reading.mentions and not ordering and turn.has(words.PRICE_QUESTION):
        return _show_menu(turn, items, only=[m.item for m in reading.mentions])
    if ordering or (strong and reading.unknown):
        lines = [
            tools.OrderLine(
                name=m.item.name, quantity=min(m.quantity, 999), notes=" ".join(m.notes)
            )
            for m in reading.mentions
        ] + [tools.OrderLine(name=name[:100]) for name in reading.unknown]
        results.append(tools.order_in_room_dining(turn.ctx, tools.OrderArgs(items=lines[:10])))
        intent = "order"

    if kind is not None:
        details = turn.raw.strip()[:500]
        results.append(
            tools.request_housekeeping(turn.ctx, tools.HousekeepingArgs(type=kind, details=details))
        )
        intent = "order+housekeeping" if intent else "housekeeping"

    if results:
        return _from_tools(turn, intent, results)
    if strong or turn.has(words.MENU_REQUEST):
        return _show_menu(turn, items)
    return None


def _show_menu(
    turn: _Turn, items: list[MenuItem], only: list[MenuItem] | None = None
) -> AgentTurnResult:
    if not items:
        return _escalate(turn, EscalationReason.UNSURE, "asked for room service; the menu is empty")
    return AgentTurnResult(tools.menu_text(turn.ctx, only or items), turn.language, "menu")


# --- 4. questions, 5. the rest ------------------------------------------------------------------


def _is_small_talk(turn: _Turn) -> bool:
    if not turn.tokens:
        return False
    allowed = words.GREETINGS | words.THANKS | words.SMALL_TALK_FILLER
    return all(token in allowed for token in turn.tokens)


def _knowledge(turn: _Turn, *, asked: bool) -> AgentTurnResult:
    result = tools.answer_from_knowledge(
        turn.ctx, tools.KnowledgeArgs(question=turn.raw.strip()[:500] or "?")
    )
    if result.status == ToolStatus.DONE:
        return _from_tools(turn, "question", [result])
    if asked:
        return _from_tools(turn, "question", [result])
    # Not a question and nothing the engine knows: a holding reply, and staff take over.
    return AgentTurnResult(
        say("holding", turn.language),
        turn.language,
        "escalate",
        [result],
        Escalation(EscalationReason.UNSURE, turn.raw.strip()[:200]),
    )
