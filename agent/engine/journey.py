"""The embedded engine's answers along the guest journey: the guest's reply to the mid-stay
check ("How is everything?") and to the post-stay follow-up ("How was your stay?").

    answer_mid_stay_check(turn_text, context) -> AgentTurnResult | None
    answer_follow_up(turn_text, context, asked_before=..., earlier_words=...) -> FollowUpAnswer
    read_rating(text) -> int | None

The concierge (agent.concierge) decides that a turn answers one of them; these functions
decide what the answer says. A reply the journey has nothing to say about (a question, an
order, a request for a person) goes to the engine's ordinary rules (agent.engine.decide).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent import tools
from agent.engine import (
    AgentTurnResult,
    _escalate,
    _from_tools,
    _housekeeping_type,
    _Turn,
    read_turn,
    words,
)
from agent.engine import language as languages
from agent.models import HousekeepingType
from agent.replies import say
from agent.text import normalize
from agent.tools import AgentContext, EscalationReason
from tenancy.db import acting_for_tenant

# "4 stars", "4/5", "4 out of 5", "4 bintang", "4 dari 5", "nilai 4", "bintang 4", "rating: 4".
_RATING_AFTER = re.compile(
    r"(?<![\d.,])([1-5])(?:[.,]0)?\s*(?:/\s*5\b|\*|★|⭐|stars?\b|bintang\b|out of (?:5|five)\b|"
    r"dari (?:5|lima)\b|of 5\b)",
    re.IGNORECASE,
)
_RATING_BEFORE = re.compile(
    r"\b(?:(?:nilai|nilainya|rating|rate|rated|score|skor|bintang|kasih|beri)"
    r"(?:\s+(?:it|this|you|us|the stay|our stay|of))?"
    # "give" only with what is given a rating: "give 2 more towels" is no rating.
    r"|give\s+(?:it|this|you|us|the stay|our stay))(?:\s+(?:a|an))?"
    r"\s*(?:nya)?\s*[:=]?\s*([1-5])(?![\d.,]*\d)",
    re.IGNORECASE,
)
# A score on another scale ("4/10", "3 out of 10", "8 dari 10"): not a rating out of 5.
_OTHER_SCALE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:/|out of|of|dari)\s*(\d+)", re.IGNORECASE)
# "not 5 stars", "bukan 5", "tidak sampai 4": the number is what the rating is not.
_NEGATED = re.compile(
    r"\b(?:not|never|no|tidak|bukan|tak)\s+(?:even\s+|a\s+|sampai\s+|ada\s+)?[1-5]\b",
    re.IGNORECASE,
)
_LONE_DIGIT = re.compile(r"(?<![\d.,])[1-5](?![\d.,]*\d)")
_ONLY_A_DIGIT = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")
_STARS = re.compile(r"[⭐★🌟]")
MID_STAY_DETAIL = "Mid-stay check: %s"


# --- the mid-stay check --------------------------------------------------------------------------


def answer_mid_stay_check(turn_text: str, context: AgentContext) -> AgentTurnResult | None:
    """The guest answered "How is everything?": a problem (complaint words, a fault) becomes an
    escalation with its reason (and the maintenance or cleaning request the engine would make
    for it), so staff fix it before checkout; praise gets a warm word and nothing else. None:
    neither (a wish for towels, a question, an order, a request for a person...), for the
    engine's ordinary rules."""
    with acting_for_tenant(context.tenant.id):
        turn, detected = read_turn(turn_text, context)
        if detected == languages.OTHER or not turn.raw.strip():
            return None
        if turn.has(words.INJECTION) or turn.has(words.ASKS_FOR_PERSON):
            return None
        if _reports_a_problem(turn):
            return _problem(turn)
        if _is_praise(turn):
            return AgentTurnResult(say("mid_stay_praise", turn.language), turn.language, "praise")
        return None


def reports_a_problem(turn_text: str, context: AgentContext) -> bool:
    """Whether a reply to the mid-stay check reports something wrong (code's check of an LLM's
    answer as well as the engine's own rule)."""
    turn, _detected = read_turn(turn_text, context)
    return _reports_a_problem(turn)


def _without_no_problem(turn: _Turn) -> _Turn:
    """The turn with "no problems", "tidak ada masalah", "not bad" taken out."""
    text = f" {turn.text} "
    for phrase in words.NO_PROBLEM:
        text = text.replace(f" {' '.join(phrase)} ", " ")
    cleaned = " ".join(text.split())
    return _Turn(turn.raw, cleaned, cleaned.split(), turn.language, turn.ctx)


def _reports_a_problem(turn: _Turn) -> bool:
    said = _without_no_problem(turn)
    # Something wrong, not a wish: "more towels, please" is a request the ordinary rules make.
    return (
        said.has(words.COMPLAINT)
        or said.has(words.MID_STAY_PROBLEMS)
        or _housekeeping_type(said) == HousekeepingType.MAINTENANCE
    )


_DIRTY = words._phrases("dirty", "kotor", "jorok", "not clean", "tidak bersih", "kurang bersih")


def _problem(turn: _Turn) -> AgentTurnResult:
    """The request the engine would make for it (maintenance, cleaning...), and staff: a
    request alone could wait in a queue past the guest's checkout."""
    detail = MID_STAY_DETAIL % turn.raw.strip()[:200]
    handed = tools.escalation(turn.ctx, EscalationReason.MID_STAY_PROBLEM, detail)
    kind = _housekeeping_type(turn)
    if kind is None and turn.has(_DIRTY):
        kind = HousekeepingType.CLEANING
    if kind is None:
        return AgentTurnResult(
            handed.guest_text, turn.language, "mid_stay_problem", [handed], handed.escalation
        )
    request = tools.request_housekeeping(
        turn.ctx, tools.HousekeepingArgs(type=kind, details=turn.raw.strip()[:500])
    )
    if request.status != tools.ToolStatus.DONE:
        # No stay in house, too many open requests: the person who takes over sees why.
        return AgentTurnResult(
            handed.guest_text,
            turn.language,
            "mid_stay_problem",
            [request, handed],
            handed.escalation,
        )
    reply = f"{request.guest_text}\n\n{say('mid_stay_problem_also', turn.language)}"
    return AgentTurnResult(
        reply, turn.language, "mid_stay_problem", [request, handed], handed.escalation
    )


def _is_praise(turn: _Turn) -> bool:
    said = _without_no_problem(turn)
    has_emoji = any(symbol in turn.raw for symbol in words.PRAISE_EMOJI)
    praised = any(token in words.PRAISE for token in turn.tokens) or has_emoji
    allowed = words.PRAISE | words.PRAISE_FILLER | words.GREETINGS | words.THANKS
    if not praised or "?" in turn.raw:
        return False
    return all(token in allowed for token in said.tokens)


# --- the post-stay follow-up ------------------------------------------------------------------------


def read_rating(text: str) -> int | None:
    """A 1-5 rating the guest's words state plainly: a digit with its scale ("4 stars", "4/5",
    "nilai 4", "bintang 4"), a digit alone, 1-5 star emoji, or clear words ("excellent",
    "terrible", "luar biasa", "buruk"). None when nothing says it plainly, or words of two
    ratings, or a "but" that leaves the words undecided, or two different digits."""
    if any(scale != "5" for scale in _OTHER_SCALE.findall(text)) or _NEGATED.search(text):
        return None
    # Any other small number beside the rating ("5 stars? no way, 2 at most"): ask instead.
    rest = _RATING_AFTER.sub(" ", _RATING_BEFORE.sub(" ", text))
    stated = {m for m in _RATING_AFTER.findall(text)} | {m for m in _RATING_BEFORE.findall(text)}
    if len(stated | set(_LONE_DIGIT.findall(rest))) > 1:
        return None
    digits = {int(m) for m in _RATING_AFTER.findall(text)} | {
        int(m) for m in _RATING_BEFORE.findall(text)
    }
    if len(digits) == 1:
        return digits.pop()
    if digits:
        return None
    alone = _ONLY_A_DIGIT.match(text)
    if alone:
        return int(alone.group(1))
    stars = len(_STARS.findall(text))
    if 1 <= stars <= 5:
        return stars
    return _rating_in_words(text)


def _rating_in_words(text: str) -> int | None:
    padded = f" {normalize(text)} "
    if set(padded.split()) & words.CONTRAST:
        return None
    found: set[int] = set()
    # Longest phrases first, each taken out once found: "not good" is not also "good".
    phrases = sorted(
        ((phrase, rating) for rating, group in words.RATING_PHRASES.items() for phrase in group),
        key=lambda pair: -len(" ".join(pair[0])),
    )
    for phrase, rating in phrases:
        needle = f" {' '.join(phrase)} "
        if needle in padded:
            found.add(rating)
            padded = padded.replace(needle, " ")
    return found.pop() if len(found) == 1 else None


@dataclass
class FollowUpAnswer:
    """The engine's answer to the follow-up: the turn's result; `rating` when one was read
    (update_guest_feedback is among the tool calls), `asked` when it asked for a rating."""

    result: AgentTurnResult
    rating: int | None = None
    asked: bool = False
    # The guest's words to keep for when a rating comes (after the question).
    comments: str = ""


def answer_follow_up(
    turn_text: str, context: AgentContext, *, asked_before: bool, earlier_words: str = ""
) -> FollowUpAnswer | None:
    """The guest answered the hotel's post-stay follow-up. A rating read from their words is
    recorded with their words as the comments (update_guest_feedback) and the guest thanked;
    without one, the engine asks once for a 1-5, and the next unclear answer goes to staff.
    None: a message for the engine's ordinary rules (a question, a person, another language)."""
    with acting_for_tenant(context.tenant.id):
        turn, detected = read_turn(turn_text, context)
        if detected == languages.OTHER:
            return None
        if turn.has(words.INJECTION) or turn.has(words.ASKS_FOR_PERSON):
            return None
        words_now = turn.raw.strip()
        comments = "\n".join(part for part in (earlier_words.strip(), words_now) if part)
        if turn.has(words.STAFF_MATTERS):
            return FollowUpAnswer(
                _escalate(turn, EscalationReason.FEEDBACK_UNCLEAR, words_now[:200]),
                comments=comments,
            )
        rating = read_rating(words_now)
        if rating is not None:
            recorded = tools.update_guest_feedback(
                turn.ctx, tools.FeedbackArgs(rating=rating, comments=comments[:4000])
            )
            if recorded.status == tools.ToolStatus.DONE:
                return FollowUpAnswer(_from_tools(turn, "feedback", [recorded]), rating=rating)
            return None
        if asked_before:
            detail = f"Feedback follow-up without a clear rating: {words_now[:200]}"
            return FollowUpAnswer(
                _escalate(turn, EscalationReason.FEEDBACK_UNCLEAR, detail), comments=comments
            )
        question = AgentTurnResult(
            say("feedback_ask_rating", turn.language), turn.language, "feedback_ask"
        )
        return FollowUpAnswer(question, asked=True, comments=comments)
