"""POST /api/webhooks/pms/<hotel public id>/: signed reservation events from a PMS.

Standard Webhooks (api-facts.md §5): headers webhook-id, webhook-timestamp (seconds) and
webhook-signature ("v1,<base64 HMAC-SHA256 of 'id.timestamp.body'>", several space-separated,
so a sender can sign with an old and a new secret while rotating). The hotel's secret is
"whsec_<base64>", generated and rotated on /settings/pms/.

Verify, parse, store once, apply, answer, in one transaction that acts for the hotel from its
first statement (pms.views). Every refusal stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from django.conf import settings
from django.http import HttpRequest

from automation.events import MAX_EVENT_ID_LENGTH, effects_of_an_event, record_once
from automation.models import EventSource
from innbox import crypto
from innbox.webhooks import Refusal
from pms.models import PMSConfiguration
from pms.push import PushEvent, apply_push_locked, push_locks
from pms.sync import Counts
from tenancy.models import Tenant

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# Seconds since 1970 in plain digits (int() would also take "1_700_000_000", or 400 digits).
_SECONDS = re.compile(r"[0-9]{1,12}")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_for(config: PMSConfiguration | None) -> str:
    if config is None or not config.webhook_secret_encrypted:
        return ""
    return str(crypto.decrypt_json(config.webhook_secret_encrypted).get("secret", ""))


def rotate_secret(config: PMSConfiguration) -> str:
    secret = new_secret()
    config.webhook_secret_encrypted = crypto.encrypt_json({"secret": secret})
    config.save(update_fields=["webhook_secret_encrypted", "updated_at"])
    return secret


def sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def verify(request: HttpRequest, secret: str) -> Refusal | None:
    if len(request.body) > settings.PMS_WEBHOOK_MAX_BODY_BYTES:
        return Refusal(413, "body too large")
    webhook_id = request.headers.get("webhook-id", "")
    timestamp = request.headers.get("webhook-timestamp", "")
    offered = request.headers.get("webhook-signature", "")
    if not secret or not webhook_id or not timestamp or not offered:
        return Refusal(401, "missing webhook-id, webhook-timestamp or webhook-signature")
    expected = sign(secret, webhook_id, timestamp, request.body).encode()
    if not any(
        hmac.compare_digest(candidate.encode("utf-8", "replace"), expected)
        for candidate in offered.split()
    ):
        return Refusal(401, "bad signature")
    if not webhook_id.isprintable():
        return Refusal(400, "webhook-id contains control characters")
    if len(webhook_id) > MAX_EVENT_ID_LENGTH:
        # Cut short it could equal another event's id and be taken for a redelivery of it.
        return Refusal(400, f"webhook-id longer than {MAX_EVENT_ID_LENGTH} characters")
    if not _SECONDS.fullmatch(timestamp):
        return Refusal(400, "malformed webhook-timestamp: expected seconds since 1970, in digits")
    if abs(time.time() - int(timestamp)) > settings.PMS_WEBHOOK_TOLERANCE_SECONDS:
        return Refusal(400, "webhook-timestamp outside the accepted window")
    return None


def ingest(
    tenant: Tenant, webhook_id: str, event: PushEvent, payload: dict, request_id: str
) -> Counts | None:
    """Store the event and apply it; None when it was seen before.

    Inside the webhook's one transaction, which acts for the tenant already (pms.views): the
    event's row, with the locks its reservation and guest need taken in the same statement,
    then the upsert. Only the event's own row may mean "seen before": a conflict in its effects
    rolls the event back with them and raises ConcurrentChange."""
    stored = record_once(
        tenant.id,
        EventSource.PMS,
        event_id=webhook_id,
        event_type=event.type,
        payload=payload,
        request_id=request_id,
        after_locks=push_locks(tenant, event),
    )
    if not stored:
        return None
    with effects_of_an_event():
        return apply_push_locked(tenant, event)
