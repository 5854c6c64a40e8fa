from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def innbox(request: HttpRequest) -> dict[str, Any]:
    return {
        "sandbox_messaging": not settings.WAHA_BASE_URL,
        "is_owner": getattr(request, "role", None) == "owner",
    }
