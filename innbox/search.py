"""What staff type into a search box, made safe to put in a query."""

from __future__ import annotations

from django.http import QueryDict

# Longer than any name, phone or booking code; a pasted page is not a search.
MAX_SEARCH_LENGTH = 100


def search_text(params: QueryDict, field: str = "q") -> str:
    """The search box's text, trimmed and capped. NUL characters go: PostgreSQL refuses them in
    text, and a link with %00 in it would otherwise be a server error."""
    return params.get(field, "").replace("\x00", "").strip()[:MAX_SEARCH_LENGTH]
