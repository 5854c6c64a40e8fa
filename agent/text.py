"""Guests' words, made comparable: lower case, no accents, no punctuation, one space apart.

Shared by the menu matcher, the retrieval and the embedded engine, so "Nasi Goreng!", "nasi
goreng" and "NASI  GORENG" are one phrase everywhere.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
# "2x", "x2": a quantity glued to its sign.
_GLUED_TIMES = re.compile(r"\b(\d+)\s*[x×]\b|\b[x×]\s*(\d+)\b", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case without accents ("Café" → "cafe"), compatibility forms unified."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize(text: str) -> str:
    """Words only, lower case, single spaces: what phrases are compared as."""
    text = _GLUED_TIMES.sub(lambda m: f" {m.group(1) or m.group(2)} ", fold(text))
    # "bersih-bersih", "wi-fi": a hyphen joins, it does not separate meaning.
    text = text.replace("wi-fi", "wifi").replace("e-mail", "email")
    return " ".join(_NOT_WORD.sub(" ", text).replace("_", " ").split())


def tokens(text: str) -> list[str]:
    return normalize(text).split()
