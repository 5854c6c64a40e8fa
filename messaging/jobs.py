"""The queue's handler for automated messages (automation.queue.HANDLERS)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from automation import queue, rate_limit, timing
from automation.models import AutomationJob
from hotel.models import Reservation, ReservationStatus
from innbox.integrations import IntegrationError
from messaging import services
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

DONE = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ}


def run_send_message(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    trigger = job.payload["trigger"]
    with acting_for_tenant(tenant.id):
        reservation = (
            Reservation.objects.select_related("guest")
            .filter(tenant=tenant, pk=job.payload["reservation"])
            .first()
        )
        message = MessageLog.objects.filter(tenant=tenant, job=job).first()
    if reservation is None:
        raise IntegrationError("The reservation no longer exists", retryable=False)
    guest = reservation.guest
    if message is not None and message.status in DONE:
        return {
            "message": str(message.public_id),
            "already": message.status,
        }  # one message per reason
    if message is not None and message.status == MessageStatus.QUEUED:
        # Written before a send that never reported back (the worker died): it may have reached
        # the guest. Resending could greet them twice; a person decides.
        raise IntegrationError(
            "A previous attempt stopped mid-send; check the guest's WhatsApp before retrying",
            retryable=False,
        )
    if guest.opted_out_at:
        return {"skipped": "the guest opted out"}
    if trigger == "pre-arrival" and reservation.status != ReservationStatus.PRE_ARRIVAL:
        return {"skipped": f"the reservation is {reservation.status} now"}
    now = timezone.now()
    allowed = timing.next_allowed(now, timing.zone_for(reservation, tenant.time_zone))
    if allowed > now:
        raise queue.Defer(allowed, "quiet hours")
    next_token = rate_limit.take(tenant, now)
    if next_token is not None:
        raise queue.Defer(next_token, "the hotel's send rate limit")
    if not guest.phone_e164:
        raise IntegrationError("The guest has no phone number", retryable=False)
    with acting_for_tenant(tenant.id):
        try:
            composed = services.compose(
                tenant, reservation=reservation, trigger=trigger, issue_feedback_link=True
            )
        except services.NothingToSend as problem:
            raise IntegrationError(str(problem), retryable=False) from None
        if message is None:
            message = MessageLog.objects.create(
                tenant=tenant,
                direction=Direction.OUTBOUND,
                guest=guest,
                reservation=reservation,
                template=composed.template,
                job=job,
                origin=MessageOrigin(trigger),
                language_code=composed.language,
                body=composed.text,
                status=MessageStatus.QUEUED,
            )
        else:  # an earlier attempt failed cleanly: try again with today's text
            message.body, message.status, message.failure_reason = (
                composed.text,
                MessageStatus.QUEUED,
                "",
            )
            message.save(update_fields=["body", "status", "failure_reason", "updated_at"])
    services.deliver(tenant, message, guest.phone_e164, reservation=reservation, raise_errors=True)
    return {"message": str(message.public_id), "waha_message_id": message.waha_message_id}
