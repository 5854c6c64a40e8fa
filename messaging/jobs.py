"""The queue's handler for outgoing messages (automation.queue.HANDLERS).

Two kinds of send_message job:
- automated (payload `reservation` + `trigger`): composed when it runs, in the guest's language,
  after the quiet hours and the hotel's rate limit allow it, and only while the stay still fits
  its trigger (messaging.trigger_rules: a welcome never goes after checkout). A trip's message
  names the rooms of the trip that still fit;
- manual (payload `message`): staff composed it already; only the rate limit applies, since a
  person chose to write now.

Either way the log row says *queued* until WAHA answers, and `send_started_at` says a call began.
A job that finds a call begun but never settled (its worker died, WAHA timed out after taking the
message) first looks the text up in WAHA's chat history: found, it is recorded as sent; not
found, it is sent. That is the difference between at-least-once and a guest greeted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NoReturn

from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob
from hotel.models import Reservation
from innbox.integrations import IntegrationError
from innbox.logs import get_logger
from innbox.phones import e164_from_chat_id
from messaging import services, timing, trigger_rules, triggers
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import pacing, sender
from whatsapp.sender import SentMessage

DONE = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ}
# An attempt is looked up in WAHA's history only once it cannot still be on its way: WAHA's own
# call timeout (15 s) and WhatsApp's delivery to its servers, with a wide margin.
SETTLE_AFTER = dt.timedelta(minutes=2)
# WhatsApp's clock and ours may differ by this much.
CLOCK_SKEW = dt.timedelta(seconds=5)
log = get_logger(__name__)


def run_send_message(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    try:
        if "message" in job.payload:
            return _send_manual(job, tenant)
        return _send_automated(job, tenant)
    except (IntegrationError, queue.Defer, queue.LeaseLost):
        raise
    except Exception:
        # The job fails as a crash (automation.queue); its message must not stay "queued" for
        # ever on the staff's pages. Retry settles it first if a send had begun.
        with acting_for_tenant(tenant.id):
            MessageLog.objects.filter(tenant=tenant, job=job, status=MessageStatus.QUEUED).update(
                status=MessageStatus.FAILED,
                failure_reason="An unexpected error stopped the send; Retry it on Automation.",
                updated_at=timezone.now(),
            )
        raise


def fail_messages_of_cancelled_jobs(job_ids: list[int], reason: str) -> None:
    """A cancelled job's queued message says why it never went (automation.queue.on_cancelled)."""
    MessageLog.objects.filter(job_id__in=job_ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.FAILED, failure_reason=f"Not sent: {reason}", updated_at=timezone.now()
    )


def _send_manual(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    """Staff's message, Innbox's own service reply, or the concierge's answer: composed already.
    A message to a chat that matches no guest (the inbox answering an unknown number) goes to
    the number of its chat."""
    stop: Exception | None = None
    ready: _Ready | None = None
    held_back: str | None = None
    with acting_for_tenant(tenant.id):  # the transaction before the send
        message = (
            MessageLog.objects.select_related("guest", "reservation")
            .filter(tenant=tenant, pk=job.payload["message"])
            .first()
        )
        if message is None or (message.guest is None and not message.chat_id):
            raise IntegrationError("The message or its guest no longer exists", retryable=False)
        phone = _number_of(message)
        service = _is_service(message, job)
        if not _attempted(message):
            held_back = _why_held_back(tenant, message, service)
            if held_back is None:
                ready, stop = _begin(tenant, message, phone, timezone.now(), service=service)
    if held_back is not None:
        return _skip(tenant, message, held_back)
    if ready is None and stop is None:  # an earlier attempt to settle first
        settled = _settled(tenant, message, phone)
        if settled is not None:
            return settled
        held_back = _why_held_back(tenant, message, service)
        if held_back is not None:
            return _skip(tenant, message, held_back)
        with acting_for_tenant(tenant.id):
            ready, stop = _begin(tenant, message, phone, timezone.now(), service=service)
    if stop is not None:
        raise stop
    assert ready is not None
    try:
        return _deliver(job, tenant, message, phone, message.reservation, ready, service=service)
    except _HeldBack as held:
        return _skip(tenant, message, held.reason)


def _number_of(message: MessageLog) -> str:
    """The chat it was written for (the conversation staff saw), else the guest's number."""
    from_chat = e164_from_chat_id(message.chat_id) if message.chat_id else None
    return from_chat or (message.guest.phone_e164 if message.guest else "")


def _is_service(message: MessageLog, job: AutomationJob) -> bool:
    """The confirmation of an opt-out, or an answer to what an opted-out guest wrote themselves
    (a service conversation): the only sends such a guest, and the transport, let through."""
    if job.payload.get(services.CONFIRMS_OPT_OUT):
        return True
    guest = message.guest
    return bool(guest and guest.opted_out_at and services.answers_the_guest(guest))


def _why_held_back(tenant: Tenant, message: MessageLog, service: bool) -> str | None:
    """Why this composed message must not go now: the guest opted out (and this is no service),
    or staff took over the conversation the concierge's answer was for (a send guard)."""
    guest = message.guest
    if guest is not None and guest.opted_out_at and not service:
        return trigger_rules.OPTED_OUT
    return services.why_held_back(tenant, message)


def _attempted(message: MessageLog) -> bool:
    """Sent already, or an attempt began whose outcome must be settled first (_settled)."""
    return message.status in DONE or message.send_started_at is not None


def _send_automated(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    trigger = job.payload["trigger"]
    outcome: dict[str, Any] | _Ready | None = None
    stop: Exception | None = None
    with acting_for_tenant(tenant.id):  # the transaction before the send
        trip = _trip(tenant, job)
        message = MessageLog.objects.filter(tenant=tenant, job=job).first()
        if not trip:
            raise IntegrationError("The reservation no longer exists", retryable=False)
        if message is None or not _attempted(message):
            outcome, stop = _prepare_automated(job, tenant, trigger, trip, message)
    if outcome is None and stop is None:  # an earlier attempt to settle first (rare)
        assert message is not None
        settled = _settled(tenant, message, trip[0].guest.phone_e164)
        if settled is not None:
            return settled
        with acting_for_tenant(tenant.id):
            outcome, stop = _prepare_automated(job, tenant, trigger, trip, message)
    if stop is not None:
        raise stop
    if not isinstance(outcome, _Ready):
        return outcome or {}
    return _deliver(
        job, tenant, outcome.message, trip[0].guest.phone_e164, outcome.reservation, outcome
    )


class _SwitchedOff(Exception):
    """The touchpoint's template was switched off after this message was queued."""


@dataclass
class _Ready:
    """A message whose attempt is recorded, and what pacing reserved for it."""

    message: MessageLog
    reservation: Reservation | None
    reserved: pacing.Reserved


def _prepare_automated(
    job: AutomationJob,
    tenant: Tenant,
    trigger: str,
    trip: list[Reservation],
    message: MessageLog | None,
) -> tuple[dict[str, Any] | _Ready | None, Exception | None]:
    """Inside the transaction before the send: whether it still goes (opt-out, the stay still
    fits its trigger, quiet hours), its text, and the attempt. Returns (a result for a message
    rightly not sent, or the ready send; or what stops it now: a Defer or an IntegrationError
    whose message row is written all the same)."""
    reservation, guest = trip[0], trip[0].guest
    if guest.opted_out_at:
        return _skip_automated(tenant, message, trigger_rules.OPTED_OUT), None
    now = timezone.now()
    # Asked again at every attempt: a deferred or retried message may find the stay moved on.
    fitting = [r for r in trip if trigger_rules.why_not(trigger, r, now, tenant.time_zone) is None]
    if not fitting:
        reason = trigger_rules.why_not(trigger, reservation, now, tenant.time_zone)
        return _skip_automated(tenant, message, reason or trigger_rules.NO_LONGER_FITS), None
    reservation = fitting[0]
    allowed = timing.next_allowed(now, timing.zone_for(reservation, tenant.time_zone))
    if allowed > now:
        raise queue.Defer(allowed, "quiet hours")
    if not guest.phone_e164:
        raise IntegrationError("The guest has no phone number", retryable=False)
    try:
        message = _compose(job, tenant, reservation, trigger, message, rooms=_rooms(fitting))
    except _SwitchedOff:
        return _skip_automated(tenant, message, trigger_rules.SWITCHED_OFF), None
    ready, stop = _begin(tenant, message, guest.phone_e164, now)
    if ready is None:
        return None, stop
    return _Ready(message=message, reservation=reservation, reserved=ready.reserved), stop


def _trip(tenant: Tenant, job: AutomationJob) -> list[Reservation]:
    """The stays this message is for, the job's own reservation first (none: it is gone): the
    guest's rooms booked for the same dates when the job is a trip's (messaging.triggers),
    else that one alone. One query either way."""
    own = job.payload["reservation"]
    rooms = Reservation.objects.select_related("guest").filter(tenant=tenant)
    if triggers.is_trip_job(job):
        rooms = rooms.filter(
            Exists(
                Reservation.objects.filter(
                    tenant=tenant,
                    pk=own,
                    guest_id=OuterRef("guest_id"),
                    check_in=OuterRef("check_in"),
                    check_out=OuterRef("check_out"),
                )
            )
        )
    else:
        rooms = rooms.filter(pk=own)
    return sorted(rooms.order_by("pk"), key=lambda r: r.pk != own)


def _rooms(reservations: list[Reservation]) -> list[str]:
    """Room numbers as a guest reads them: each once, 9 before 10."""
    numbers = {r.room_number for r in reservations if r.room_number}
    return sorted(numbers, key=lambda number: (len(number), number))


def _settled(tenant: Tenant, message: MessageLog, number: str) -> dict[str, Any] | None:
    """A result when this message needs no (further) send: it went out already, or an attempt
    whose outcome we never heard turns out to have reached WhatsApp."""
    if message.status in DONE:
        return {"message": str(message.public_id), "already": message.status}
    started = message.send_started_at
    phone = e164_from_chat_id(message.chat_id) if message.chat_id else number
    if started is None or not phone:
        return None
    if timezone.now() < started + SETTLE_AFTER:
        raise queue.Defer(started + SETTLE_AFTER, "an earlier attempt may still be on its way")
    try:
        since = _search_from(tenant, message, started)
        found = _unclaimed_copy(
            tenant, sender.sent_copies(tenant, phone, message.body, since=since)
        )
    except IntegrationError as problem:
        if problem.retryable:
            raise
        return _unverifiable(tenant, message, problem)
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


def _unclaimed_copy(tenant: Tenant, copies: list[SentMessage]) -> SentMessage | None:
    """The earliest copy in the chat that no logged message claims already: a retry that did go
    out twice leaves the later copy for its own attempt."""
    if not copies:
        return None
    with acting_for_tenant(tenant.id):
        logged = set(
            MessageLog.objects.filter(
                tenant=tenant, waha_message_id__in=[copy.message_id for copy in copies]
            ).values_list("waha_message_id", flat=True)
        )
    return next((copy for copy in copies if copy.message_id not in logged), None)


def _search_from(tenant: Tenant, message: MessageLog, started: dt.datetime) -> dt.datetime:
    """Where this attempt's copy can start in the chat: not before the attempt, and after any
    earlier message with the same words whose WhatsApp id we never learnt (an engine that
    answered without one): that copy is in the chat, and must not pass for this one. Copies
    with a known id are told apart by it (_unclaimed_copy)."""
    with acting_for_tenant(tenant.id):
        earlier_copy = (
            MessageLog.objects.filter(
                tenant=tenant,
                direction=Direction.OUTBOUND,
                chat_id=message.chat_id,
                body=message.body,
                sent_at__isnull=False,
                waha_message_id__isnull=True,
            )
            .exclude(pk=message.pk)
            .aggregate(latest=Max("sent_at"))["latest"]
        )
    since = started - CLOCK_SKEW
    if earlier_copy is not None:
        since = max(since, earlier_copy + dt.timedelta(seconds=1))
    return since


def _unverifiable(tenant: Tenant, message: MessageLog, problem: IntegrationError) -> NoReturn:
    """WAHA cannot show the chat: a person looks at the hotel's phone. The attempt is forgotten,
    so Retry sends the message (the reason says so, on the job and on the message)."""
    advice = (
        "Could not check whether an earlier attempt reached the guest "
        f"({problem.message}). Look at the chat on the hotel's phone; Retry sends it again."
    )
    message.send_started_at = None
    message.status, message.failure_reason = MessageStatus.FAILED, advice
    with acting_for_tenant(tenant.id):
        message.save(update_fields=["send_started_at", "status", "failure_reason", "updated_at"])
    raise IntegrationError(advice, retryable=False, code="unverifiable")


def _begin(
    tenant: Tenant, message: MessageLog, phone: str, now: dt.datetime, *, service: bool = False
) -> tuple[_Ready | None, Exception | None]:
    """The last checks before a send and the attempt on the message, inside the transaction
    before the send: a guest without a usable number fails; then pacing.reserve (the session
    works, the number is not booked far ahead, a token of the hotel's rate limit, the paced
    slot: a token is taken only by a message that can go now). The message row is written
    either way: with its attempt begun, or still queued (Defer), or failed with the reason."""
    fields = ["status", "failure_reason", "updated_at"]
    if not phone:
        # Written on the message in this same transaction: raising here would roll it back
        # and leave the message "queued" for ever on the staff's pages.
        problem = IntegrationError("The guest has no phone number", retryable=False)
        message.status, message.failure_reason = MessageStatus.FAILED, problem.message
        _save(message, fields)
        return None, problem
    try:
        reserved = pacing.reserve(tenant, now, number=phone, service=service)
    except queue.Defer as wait:
        _save(message, fields)
        return None, wait
    except IntegrationError as problem:
        message.status, message.failure_reason = MessageStatus.FAILED, problem.message
        _save(message, fields)
        return None, problem
    services.begin_attempt(tenant, message, phone)
    _save(message, services.ATTEMPT_FIELDS)
    return _Ready(message=message, reservation=message.reservation, reserved=reserved), None


def _save(message: MessageLog, fields: list[str]) -> None:
    """Insert a message composed in this transaction, or update the fields of one we had (with
    what _compose changed on it)."""
    if message._state.adding:
        message.save()
    else:
        message.save(update_fields=sorted({*fields, *_COMPOSED_FIELDS}))


_COMPOSED_FIELDS = ["body", "status", "failure_reason", "reservation", "updated_at"]


def _compose(
    job: AutomationJob,
    tenant: Tenant,
    reservation: Reservation,
    trigger: str,
    message: MessageLog | None,
    *,
    rooms: list[str],
) -> MessageLog:
    """Today's text for the stay (unsaved: _begin writes it with its attempt)."""
    try:
        composed = services.compose(
            tenant,
            reservation=reservation,
            trigger=trigger,
            issue_feedback_link=True,
            room_numbers=rooms,
            automated=True,
        )
    except services.NothingToSend as problem:
        raise IntegrationError(str(problem), retryable=False) from None
    if composed.template is not None and not composed.template.is_active:
        # Switched off while it waited (a thank-you may wait for weeks): off means off.
        raise _SwitchedOff
    if message is None:
        return MessageLog(
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
    # An earlier attempt did not reach the guest: try again with today's text, for the stay it
    # is about now (a room of the trip may have been cancelled meanwhile).
    message.body, message.status, message.failure_reason = composed.text, MessageStatus.QUEUED, ""
    message.reservation = reservation
    return message


class _HeldBack(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _deliver(
    job: AutomationJob,
    tenant: Tenant,
    message: MessageLog,
    phone: str,
    reservation: Reservation | None,
    ready: _Ready,
    *,
    service: bool = False,
) -> dict[str, Any]:
    """The send, outside any transaction: the lease fence just before the call (keep_lease, one
    statement), then what happened written with the job's outcome (queue.with_outcome): the
    message sent or failed and the session's health, in the transaction after the send."""

    def hold(seconds: float) -> None:
        queue.keep_lease(job, seconds)
        # Asked again at the last moment (hold(0): the message leaves next), after any pacing
        # wait: a person who took the conversation over meanwhile stops the concierge's answer.
        if seconds == 0 and message.origin == MessageOrigin.AGENT:
            reason = services.why_held_back(tenant, message)
            if reason is not None:
                raise _HeldBack(reason)

    services.deliver(
        tenant,
        message,
        phone,
        reservation=reservation,
        hold=hold,
        service=service,
        reserved=ready.reserved,
        record=queue.with_outcome,
    )
    return {"message": str(message.public_id), "waha_message_id": message.waha_message_id}


def _skip_automated(tenant: Tenant, message: MessageLog | None, reason: str) -> dict[str, Any]:
    """Not sent, and rightly so: the job succeeds, its result says why (as does the message, if
    an earlier attempt wrote one)."""
    log.info("automated_send_skipped", reason=reason)
    if message is None:
        return {"skipped": reason}
    return _skip(tenant, message, reason)


def _skip(tenant: Tenant, message: MessageLog, reason: str) -> dict[str, Any]:
    message.status, message.failure_reason = MessageStatus.FAILED, f"Not sent: {reason}"
    with acting_for_tenant(tenant.id):
        message.save(update_fields=["status", "failure_reason", "updated_at"])
    return {"skipped": reason}
