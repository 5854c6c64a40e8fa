from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username_for_throttling(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Count failures per account whatever the capitalisation the guesser types."""
    source = credentials or request.POST
    return str(source.get("username", "")).strip().lower()
