"""Delivery receipts: WhatsApp's acks move a message we sent forward (whatsapp.inbound hands them
to `apply_ack`, registered in messaging's AppConfig.ready, inside the webhook's transaction)."""

from __future__ import annotations

from django.utils import timezone

from messaging.models import MessageLog, MessageStatus
from tenancy.models import Tenant
from whatsapp import inbound
from whatsapp.schemas import AckPayload

# Delivery states only move forward: a late "sent" never undoes "read".
_PROGRESS = [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ]
_ACK_TO_STATUS = {
    1: MessageStatus.SENT,
    2: MessageStatus.DELIVERED,
    3: MessageStatus.READ,
    4: MessageStatus.READ,  # PLAYED (voice): read and more
}


def apply_ack(tenant: Tenant, payload: AckPayload) -> str:
    """Move the message WhatsApp acknowledged forward: sent, delivered, read, or failed (ack -1).
    RetryLater when we have not recorded that message yet."""
    new_status = _ACK_TO_STATUS.get(payload.ack)
    if payload.ack == -1:
        updated = MessageLog.objects.filter(
            tenant=tenant, waha_message_id=payload.id, status__in=_PROGRESS[:2]
        ).update(
            status=MessageStatus.FAILED,
            failure_reason="WhatsApp reported an error delivering this message",
            updated_at=timezone.now(),
        )
        if (
            not updated
            and not MessageLog.objects.filter(tenant=tenant, waha_message_id=payload.id).exists()
        ):
            raise inbound.RetryLater(f"no message {payload.id} yet")
        return "failed" if updated else "unchanged"
    if new_status is None:
        return "ignored"
    earlier = _PROGRESS[: _PROGRESS.index(new_status)]
    stamp = {
        MessageStatus.SENT: "sent_at",
        MessageStatus.DELIVERED: "delivered_at",
        MessageStatus.READ: "read_at",
    }[new_status]
    # One conditional UPDATE: concurrent or out-of-order acks can only move a message forward.
    updated = MessageLog.objects.filter(
        tenant=tenant, waha_message_id=payload.id, status__in=earlier
    ).update(status=new_status, **{stamp: timezone.now()}, updated_at=timezone.now())
    if updated:
        return new_status.value
    if not MessageLog.objects.filter(tenant=tenant, waha_message_id=payload.id).exists():
        # The ack can overtake the send's own bookkeeping: ask WAHA to deliver it again.
        raise inbound.RetryLater(f"no message {payload.id} yet")
    return "unchanged"
