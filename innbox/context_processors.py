from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from innbox import config


def innbox(request: HttpRequest) -> dict[str, Any]:
    return {
        "sandbox_messaging": config.get().settings.sandbox_messaging,
        "is_owner": getattr(request, "role", None) == "owner",
    }
