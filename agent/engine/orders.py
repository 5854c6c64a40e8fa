"""Reading an order out of a guest's words: which menu items, how many of each, how they want
them, and which named dishes the menu does not have.

    "2 nasi goreng dan satu es teh"            → Nasi Goreng x2, Es Teh Manis x1
    "nasi goreng 2 porsi, es teh 1"            → the same, quantities after the dish
    "a couple of beers and fries, no salt"     → Bintang Beer x2, French Fries x1 (notes)
    "I want to order a pizza"                   → unknown: "pizza"
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent import lexicon
from agent.engine import words
from agent.menu import MenuMatcher
from agent.models import MenuItem

# What may stand right before a dish that a guest names: a count, a unit, "and", an order verb.
_SEPARATORS = frozenset({"and", "dan", "plus", "sama", "also", "juga", "then", "lalu", "terus"})
_CUE_WORDS = frozenset(
    {
        "order",
        "pesan",
        "pesen",
        "mesen",
        "memesan",
        "mau",
        "minta",
        "want",
        "like",
        "have",
        "get",
        "bring",
        "beli",
        "tambah",
        "ingin",
        "pengen",
        "antar",
        "kirim",
        "bawakan",
        "add",
    }
)
MAX_UNKNOWN_WORDS = 3


@dataclass
class Mention:
    start: int
    end: int
    item: MenuItem
    quantity: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass
class OrderReading:
    mentions: list[Mention]
    unknown: list[str]
    has_quantity: bool
    # Words nothing accounted for: a message of dishes and counts has none.
    unexplained: int


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token) if len(token) <= 4 else None
    return words.NUMBERS.get(token)


def _edge_blocked(token: str) -> bool:
    return (
        token.isdigit()
        or token in words.NUMBERS
        or token in words.UNITS
        or token in words.ORDER_FILLER
    )


def _find_mentions(tokens: list[str], matcher: MenuMatcher) -> list[Mention]:
    candidates = []
    for size in range(min(matcher.max_words, len(tokens)), 0, -1):
        for start in range(len(tokens) - size + 1):
            span = tokens[start : start + size]
            if _edge_blocked(span[0]) or _edge_blocked(span[-1]):
                continue
            match = matcher.match(" ".join(span))
            if match:
                candidates.append((match.score, size, start, match.item))
    # Exact before fuzzy, longer before shorter: "es teh" before "teh".
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2]))
    taken: set[int] = set()
    mentions = []
    for _score, size, start, item in candidates:
        positions = set(range(start, start + size))
        if positions & taken:
            continue
        taken |= positions
        mentions.append(Mention(start, start + size, item))
    return sorted(mentions, key=lambda m: m.start)


def _leading(tokens: list[str], mention: Mention, used: set[int]) -> tuple[int, list[int]] | None:
    index = mention.start - 1
    skipped = []
    while index >= 0 and tokens[index] in words.UNITS and tokens[index] != "x":
        skipped.append(index)
        index -= 1
    if index < 0 or index in used:
        return None
    number = _number(tokens[index])
    if number is None:
        return None
    consumed = [*skipped, index]
    # "a couple of": the "a" belongs to "couple".
    if tokens[index] in {"couple", "pair"} and index > 0 and tokens[index - 1] in {"a", "an"}:
        consumed.append(index - 1)
    return number, consumed


def _trailing(
    tokens: list[str], mention: Mention, used: set[int], taken: set[int]
) -> tuple[int, list[int]] | None:
    index = mention.end
    if index >= len(tokens) or index in used or index in taken:
        return None
    if tokens[index] in {"a", "an"}:  # "nasi goreng a ..." is no count
        return None
    number = _number(tokens[index])
    if number is None:
        return None
    consumed = [index]
    following = index + 1
    while following < len(tokens) and tokens[following] in words.UNITS and following not in taken:
        consumed.append(following)
        following += 1
    return number, consumed


def read_order(text_tokens: list[str], matcher: MenuMatcher) -> OrderReading:
    tokens = text_tokens
    mentions = _find_mentions(tokens, matcher)
    taken = {i for m in mentions for i in range(m.start, m.end)}
    used: set[int] = set()
    has_quantity = False
    # Guests write counts before dishes ("2 nasi goreng") or after them ("nasi goreng 2"); the
    # first dish tells which, and the other side is the fallback.
    trailing_style = bool(mentions) and _leading(tokens, mentions[0], used) is None
    for mention in mentions:
        readings = [
            lambda m=mention: _trailing(tokens, m, used, taken),
            lambda m=mention: _leading(tokens, m, used),
        ]
        if not trailing_style:
            readings.reverse()
        for read in readings:
            found = read()
            if found:
                mention.quantity, consumed = found
                used.update(consumed)
                has_quantity = True
                break
    # Modifiers right after a dish (and its count) are how the guest wants it.
    for mention in mentions:
        index = mention.end
        while index < len(tokens) and index in used:
            index += 1
        while (
            index < len(tokens)
            and index not in taken
            and index not in used
            and tokens[index] in words.MODIFIERS
        ):
            mention.notes.append(tokens[index])
            used.add(index)
            index += 1
    unknown, unexplained = _unknown_dishes(tokens, taken | used)
    return OrderReading(mentions, unknown, has_quantity, unexplained)


def _unknown_dishes(tokens: list[str], explained: set[int]) -> tuple[list[str], int]:
    """Phrases that stand where a dish would ("a pizza", "and sushi") but matched nothing."""
    unknown: list[str] = []
    unexplained = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if index in explained or token in words.ORDER_FILLER or token in lexicon.STOPWORDS:
            index += 1
            continue
        if token in words.MODIFIERS or token in words.UNITS or token.isdigit():
            index += 1
            continue
        start = index
        while (
            index < len(tokens)
            and index not in explained
            and tokens[index] not in words.ORDER_FILLER
            and tokens[index] not in lexicon.STOPWORDS
            and not tokens[index].isdigit()
            and tokens[index] not in words.UNITS
            and tokens[index] not in _SEPARATORS
        ):
            index += 1
        phrase = tokens[start:index][:MAX_UNKNOWN_WORDS]
        unexplained += len(phrase)
        before = start - 1
        while before >= 0 and tokens[before] in words.UNITS:
            before -= 1
        in_slot = before >= 0 and (
            _number(tokens[before]) is not None
            or tokens[before] in _SEPARATORS
            or tokens[before] in _CUE_WORDS
        )
        names_a_topic = any(lexicon.is_topic(c) for c in lexicon.concepts(" ".join(phrase)))
        if phrase and in_slot and not names_a_topic:
            unknown.append(" ".join(phrase))
        index = max(index, start + 1)
    return unknown, unexplained
