"""Is this request really from our WAHA? Verify before anything is parsed or stored.

WAHA signs only the body (HMAC-SHA512, hex, X-Webhook-Hmac), so freshness comes from
X-Webhook-Timestamp (milliseconds) and replays are stopped by the stored event id.
Servers older than 2025 send no timestamp: then the signature and the event id stand alone.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def verify(request: HttpRequest) -> Refusal | None:
    if len(request.body) > settings.WAHA_WEBHOOK_MAX_BODY_BYTES:
        return Refusal(413, "body too large")
    key = settings.WAHA_WEBHOOK_HMAC_KEY
    if key:
        offered = request.headers.get("X-Webhook-Hmac", "")
        expected = hmac.new(key.encode(), request.body, hashlib.sha512).hexdigest()
        if not offered or not hmac.compare_digest(offered.lower(), expected):
            return Refusal(401, "bad or missing signature")
    timestamp = request.headers.get("X-Webhook-Timestamp")
    if timestamp is not None:
        try:
            sent_at = int(timestamp) / 1000
        except ValueError:
            return Refusal(400, "malformed X-Webhook-Timestamp")
        if abs(time.time() - sent_at) > settings.WAHA_WEBHOOK_TOLERANCE_SECONDS:
            return Refusal(400, "timestamp outside the accepted window")
    return None
