"""Which language a guest wrote in: English, Indonesian, another one, or too little to tell."""

from __future__ import annotations

import unicodedata

from agent.engine import words
from agent.text import tokens

UNKNOWN = ""
OTHER = "other"
# Scripts no English or Indonesian message is written in.
_OTHER_SCRIPTS = (
    "CJK",
    "HIRAGANA",
    "KATAKANA",
    "HANGUL",
    "CYRILLIC",
    "ARABIC",
    "THAI",
    "DEVANAGARI",
    "HEBREW",
    "GREEK",
    "TAMIL",
    "BENGALI",
)


def _foreign_script_share(text: str) -> float:
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return 0.0
    foreign = sum(1 for char in letters if unicodedata.name(char, "").startswith(_OTHER_SCRIPTS))
    return foreign / len(letters)


def detect(text: str) -> str:
    """ "en", "id", "other", or "" when the words say nothing ("ok", "👍", "2")."""
    if _foreign_script_share(text) > 0.3:
        return OTHER
    found = tokens(text)
    english = sum(1 for word in found if word in words.ENGLISH)
    indonesian = sum(1 for word in found if word in words.INDONESIAN)
    other = sum(1 for word in found if word in words.OTHER_LANGUAGES)
    if other > max(english, indonesian):
        return OTHER
    if english == indonesian == 0:
        return UNKNOWN
    # A tie goes to Indonesian: English words ("room service", "check out") are common in
    # Indonesian messages, rarely the reverse.
    return "en" if english > indonesian else "id"
