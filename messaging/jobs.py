"""The queue's handler for outgoing messages (automation.queue.HANDLERS).

Two kinds of send_message job:
- automated (payload `reservation` + `trigger`): composed when it runs, in the guest's language,
  after the quiet hours and the hotel's rate limit allow it;
- manual (payload `message`): staff composed it already; only the rate limit applies, since a
  person chose to write now.

Either way the log row says *queued* until WAHA answers, and `send_started_at` says a call began.
A job that finds a call begun but never settled (its worker died, WAHA timed out after taking the
message) first looks the text up in WAHA's chat history: found, it is recorded as sent; not
found, it is sent. That is the difference between at-least-once and a guest greeted twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from automation import queue, rate_limit, timing
from automation.models import AutomationJob
from hotel.models import Guest, Reservation, ReservationStatus
from innbox.integrations import IntegrationError
from innbox.logs import get_logger
from messaging import services
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import sender

DONE = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ}
log = get_logger(__name__)


def run_send_message(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    if "message" in job.payload:
        return _send_manual(job, tenant)
    return _send_automated(job, tenant)


def _send_manual(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    with acting_for_tenant(tenant.id):
        message = (
            MessageLog.objects.select_related("guest", "reservation")
            .filter(tenant=tenant, pk=job.payload["message"])
            .first()
        )
    if message is None or message.guest is None:
        raise IntegrationError("The message or its guest no longer exists", retryable=False)
    settled = _settled(tenant, message, message.guest)
    if settled is not None:
        return settled
    if message.guest.opted_out_at:
        return _skip(tenant, message, "the guest opted out")
    _wait_for_token(tenant)
    return _deliver(tenant, message, message.guest, message.reservation)


def _send_automated(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
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
    if message is not None:
        settled = _settled(tenant, message, guest)
        if settled is not None:
            return settled
    if guest.opted_out_at:
        return {"skipped": "the guest opted out"}
    if trigger == "pre-arrival" and reservation.status != ReservationStatus.PRE_ARRIVAL:
        return {"skipped": f"the reservation is {reservation.status} now"}
    now = timezone.now()
    allowed = timing.next_allowed(now, timing.zone_for(reservation, tenant.time_zone))
    if allowed > now:
        raise queue.Defer(allowed, "quiet hours")
    _wait_for_token(tenant, now)
    if not guest.phone_e164:
        raise IntegrationError("The guest has no phone number", retryable=False)
    message = _compose(job, tenant, reservation, trigger, message)
    return _deliver(tenant, message, guest, reservation)


def _settled(tenant: Tenant, message: MessageLog, guest: Guest) -> dict[str, Any] | None:
    """A result when this message needs no (further) send: it went out already, or an attempt
    whose outcome we never heard turns out to have reached WhatsApp."""
    if message.status in DONE:
        return {"message": str(message.public_id), "already": message.status}
    if message.send_started_at is None or not guest.phone_e164:
        return None
    found = sender.find_sent(tenant, guest.phone_e164, message.body, since=message.send_started_at)
    if found is None:
        log.info("send_reconciled", outcome="not_sent", message_id=str(message.public_id))
        return None
    services.mark_sent(tenant, message, found)
    log.info("send_reconciled", outcome="already_sent", message_id=str(message.public_id))
    return {
        "message": str(message.public_id),
        "waha_message_id": found.message_id,
        "reconciled": True,
    }


def _wait_for_token(tenant: Tenant, now: dt.datetime | None = None) -> None:
    next_token = rate_limit.take(tenant, now or timezone.now())
    if next_token is not None:
        raise queue.Defer(next_token, "the hotel's send rate limit")


def _compose(
    job: AutomationJob,
    tenant: Tenant,
    reservation: Reservation,
    trigger: str,
    message: MessageLog | None,
) -> MessageLog:
    with acting_for_tenant(tenant.id):
        try:
            composed = services.compose(
                tenant, reservation=reservation, trigger=trigger, issue_feedback_link=True
            )
        except services.NothingToSend as problem:
            raise IntegrationError(str(problem), retryable=False) from None
        if message is None:
            return MessageLog.objects.create(
                tenant=tenant,
                direction=Direction.OUTBOUND,
                guest=reservation.guest,
                reservation=reservation,
                template=composed.template,
                job=job,
                origin=MessageOrigin(trigger),
                language_code=composed.language,
                body=composed.text,
                status=MessageStatus.QUEUED,
            )
        # An earlier attempt did not reach the guest: try again with today's text.
        message.body, message.status, message.failure_reason = (
            composed.text,
            MessageStatus.QUEUED,
            "",
        )
        message.save(update_fields=["body", "status", "failure_reason", "updated_at"])
        return message


def _deliver(
    tenant: Tenant, message: MessageLog, guest: Guest, reservation: Reservation | None
) -> dict[str, Any]:
    if not guest.phone_e164:
        raise IntegrationError("The guest has no phone number", retryable=False)
    services.deliver(tenant, message, guest.phone_e164, reservation=reservation)
    return {"message": str(message.public_id), "waha_message_id": message.waha_message_id}


def _skip(tenant: Tenant, message: MessageLog, reason: str) -> dict[str, Any]:
    message.status, message.failure_reason = MessageStatus.FAILED, f"Not sent: {reason}"
    with acting_for_tenant(tenant.id):
        message.save(update_fields=["status", "failure_reason", "updated_at"])
    return {"skipped": reason}
