"""JSON from outside (webhooks, the send API), refused with a reason before it can hurt.

Python's parser accepts what the database or the stack cannot take: a NUL character (PostgreSQL
refuses it in text and in jsonb), a lone surrogate such as "\\ud800" (not encodable as UTF-8),
`NaN`/`Infinity` (not JSON, refused by jsonb), and nesting deep enough to exhaust the stack (a
RecursionError, i.e. a server error). Every caller gets one `MalformedJson` instead, whose
message names the problem and where it is.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import ValidationError

# Far deeper than any PMS or WAHA payload (WAHA's raw engine data goes about a dozen deep).
MAX_DEPTH = 64


class MalformedJson(ValueError):
    pass


def load(body: bytes | str) -> Any:
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise MalformedJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except MalformedJson:
        raise
    except ValueError as problem:  # also UnicodeDecodeError: not UTF-8
        raise MalformedJson(f"not valid JSON: {problem}") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Walk a parsed value without recursion: its depth, and every key and string."""
    pending: list[tuple[Any, str, int]] = [(value, "", 0)]
    while pending:
        item, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise MalformedJson(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            _check_text(item, _where(path))
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, f"a key under {_where(path)}")
                pending.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{path}[{n}]", depth + 1) for n, child in enumerate(item))


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise MalformedJson(f"a NUL character in {where}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" is valid JSON but no text: no database can store it
        raise MalformedJson(f"a lone surrogate (not Unicode text) in {where}") from None


def _where(path: str) -> str:
    return path[:120] if path else "the body"


def _refuse_constant(name: str) -> float:
    raise MalformedJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MalformedJson(f"the number {text[:20]} is too large")
    return number


def describe(problem: ValidationError, under: str = "") -> str:
    """A pydantic refusal in one line that names the fields: "reservation.amount: ..."; `under`
    prefixes the names when the model read only a part of the body."""
    parts = []
    for error in problem.errors(include_url=False, include_input=False)[:3]:
        names = [str(part) for part in error["loc"]]
        where = ".".join([under, *names] if under else names) or "the body"
        parts.append(f"{where[:120]}: {error['msg']}")
    return "; ".join(parts)
