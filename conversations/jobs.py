"""The `guest_message` job: written with each new guest message, in the webhook's transaction,
and run by the worker once that transaction has committed.

It replaces the in-process signal the webhook used to send: an outbox job cannot be lost to a
crash between the commit and the send, and whatever answers guests (the AI concierge, the
inbox's live updates) runs in the worker, never inside WAHA's request. Whoever answers registers
with `listen` in its AppConfig.ready; each listener gets the stored message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from automation.models import AutomationJob
from innbox.integrations import IntegrationError
from messaging.models import MessageLog
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

Listener = Callable[[Tenant, MessageLog], object]
LISTENERS: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in LISTENERS:
        LISTENERS.append(listener)


def run_guest_message(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    with acting_for_tenant(tenant.id):
        message = (
            MessageLog.objects.select_related("guest", "reservation")
            .filter(tenant=tenant, pk=job.payload["message"])
            .first()
        )
    if message is None:
        raise IntegrationError("The guest's message no longer exists", retryable=False)
    for listener in LISTENERS:
        listener(tenant, message)
    return {"message": str(message.public_id), "listeners": len(LISTENERS)}
