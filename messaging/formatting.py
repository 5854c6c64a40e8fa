"""WhatsApp's own text formatting, shown as it will look: *bold*, _italic_, ~strike~, ```mono```."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_RULES = [
    (re.compile(r"```(.+?)```", re.DOTALL), r"<code>\1</code>"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w~])~(?=\S)(.+?)(?<=\S)~(?![\w~])"), r"<s>\1</s>"),
]


def to_html(text: str) -> SafeString:
    html = str(escape(text))  # first: nothing a guest or template wrote becomes markup
    for pattern, replacement in _RULES:
        html = pattern.sub(replacement, html)
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308 - escaped above
