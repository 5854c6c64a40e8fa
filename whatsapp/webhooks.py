"""Is this request really from our WAHA? Verify before anything is parsed or stored.

WAHA signs only the body (HMAC-SHA512, hex, X-Webhook-Hmac), so freshness comes from
X-Webhook-Timestamp (milliseconds) and replays are stopped by the stored event id.
Servers older than 2025 send no timestamp: then the signature and the event id stand alone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from django.conf import settings
from django.http import HttpRequest

from innbox.webhooks import Refusal

# Plain digits (int() would also take "1_700_000_000_000", or 400 digits that overflow a float).
_MILLISECONDS = re.compile(r"[0-9]{1,15}")


def verify(request: HttpRequest) -> Refusal | None:
    """Size and signature, before the body is even parsed."""
    if len(request.body) > settings.WAHA_WEBHOOK_MAX_BODY_BYTES:
        return Refusal(413, "body too large")
    key = settings.WAHA_WEBHOOK_HMAC_KEY
    if not key:
        # Without a key anybody could post events; Innbox always gives WAHA one.
        return Refusal(401, "webhook signing is not configured (WAHA_WEBHOOK_HMAC_KEY)")
    offered = request.headers.get("X-Webhook-Hmac", "").strip().lower().encode("utf-8", "replace")
    expected = hmac.new(key.encode(), request.body, hashlib.sha512).hexdigest().encode()
    if not offered or not hmac.compare_digest(offered, expected):
        return Refusal(401, "bad or missing signature")
    timestamp = request.headers.get("X-Webhook-Timestamp")
    if timestamp is not None:
        if not _MILLISECONDS.fullmatch(timestamp):
            return Refusal(
                400, "malformed X-Webhook-Timestamp: expected milliseconds since 1970, in digits"
            )
        if not is_fresh(int(timestamp)):
            return Refusal(400, "timestamp outside the accepted window")
    return None


def is_fresh(timestamp_ms: int) -> bool:
    return abs(time.time() - timestamp_ms / 1000) <= settings.WAHA_WEBHOOK_TOLERANCE_SECONDS


def check_envelope_time(envelope_id: str | None, timestamp_ms: int | None) -> Refusal | None:
    """The header is not signed, the envelope is: its timestamp is what proves freshness.
    Envelopes with an id (WAHA 2025+) always carry one; older ones have neither."""
    if envelope_id and timestamp_ms is None:
        return Refusal(400, "envelope has an id but no timestamp")
    if timestamp_ms is not None and not is_fresh(timestamp_ms):
        return Refusal(400, "event timestamp outside the accepted window")
    return None
