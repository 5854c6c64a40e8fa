"""One automatic reply per guest turn, in order, and never over a person's head.

A guest's message queues a `conversation_turn` job in the webhook's transaction, keyed by the
WhatsApp message id (a redelivery queues nothing) and due after the burst window. When it runs:

1. a newer guest message of the same conversation means the guest is still writing: this job
   steps aside and the newer one's turn answers both (a burst is one turn);
2. a lease on the conversation lets one turn run at a time across every worker; another turn
   of the same conversation waits (deferred), turns of other conversations run in parallel;
3. the responder (the concierge registers one; without it nobody answers automatically) reads
   every guest message after the last answered one, outside any transaction (a model is slow);
4. its answer is queued only if the concierge still holds the conversation, checked under a
   row lock, and checked again by the worker right before the send (`held_back`, a send
   guard): staff who take over, answer from the inbox or type on the hotel's phone at any
   point before that make the concierge silent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

from automation import queue
from automation.models import AutomationJob, JobKind
from conversations import opt_out, services
from conversations.models import (
    Conversation,
    ConversationNote,
    ConversationStatus,
    Holder,
    NoteKind,
)
from hotel.models import Guest, Reservation
from innbox.integrations import IntegrationError
from innbox.logs import get_logger
from messaging import services as messaging
from messaging.models import Direction, MessageLog, MessageOrigin
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)
# A turn holds its conversation this long at most; a worker that dies frees it by expiry.
TURN_LEASE = dt.timedelta(minutes=2)
# How soon a turn waiting for its conversation's running turn tries again.
WAIT_FOR_RUNNING_TURN = dt.timedelta(seconds=2)
# Why the concierge's answer did not go: shown on the message (a msgid, like trigger_rules).
STAFF_HOLD = gettext_noop("staff hold the conversation")
# A guest is waiting: a concierge that cannot answer (its model unreachable) is tried this often,
# a few seconds apart, then staff are asked instead.
TURN_ATTEMPTS = 3
COULD_NOT_ANSWER = gettext_noop("the concierge could not answer (%(error)s)")


@dataclass(frozen=True)
class Turn:
    """What the guest said since the last answer, and to whom they are talking."""

    tenant: Tenant
    conversation: Conversation
    guest: Guest | None
    reservation: Reservation | None
    messages: list[MessageLog]

    @property
    def text(self) -> str:
        return "\n".join(message.body for message in self.messages)


@dataclass
class Reply:
    """The responder's answer: text for the guest (or none), lines for staff (a tool call and
    its result), and whether to ask a person (the concierge then stays silent)."""

    text: str = ""
    language: str = ""
    staff_lines: list[str] = field(default_factory=list)
    escalate: str = ""


class Answer(Protocol):
    """What a responder returns: a Reply, or anything shaped like one (the concierge, on the
    same row of the layers, cannot import this module and returns its own)."""

    text: str
    language: str
    staff_lines: list[str]
    escalate: str


Responder = Callable[[Turn], Answer | None]
RESPONDERS: list[Responder] = []


def register_responder(responder: Responder) -> None:
    """Answer turns with `responder` instead of settings.CONVERSATION_RESPONDER (tests)."""
    RESPONDERS[:] = [responder]


def responder() -> Responder | None:
    """Who answers guests' turns: the composition root names it (settings), as apps on one row
    of the layers may not import each other; none, and nobody answers automatically."""
    if RESPONDERS:
        return RESPONDERS[0]
    path = getattr(settings, "CONVERSATION_RESPONDER", "")
    return cast(Responder, import_string(path)) if path else None


def queue_turn(
    tenant: Tenant, conversation: Conversation, message: MessageLog, whatsapp_id: str
) -> AutomationJob:
    burst = dt.timedelta(seconds=settings.CONVERSATION_BURST_SECONDS)
    return queue.enqueue(
        tenant,
        JobKind.CONVERSATION_TURN,
        {"conversation": conversation.pk, "message": message.pk},
        run_at=timezone.now() + burst,
        reservation_id=message.reservation_id,
        max_attempts=TURN_ATTEMPTS,
        # Hashed: a WhatsApp id may take the whole 255 characters of the key column itself.
        idempotency_key="turn:" + hashlib.sha256(whatsapp_id.encode()).hexdigest(),
    )


def run_turn(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    conversation_id = job.payload.get("conversation")
    through = int(job.payload["message"])
    with acting_for_tenant(tenant.id):
        if conversation_id is None:  # a guest_message job from before conversations existed
            conversation_id = _conversation_of_message(tenant, through)
        conversation = Conversation.objects.filter(tenant=tenant, pk=conversation_id).first()
        if conversation is None:
            raise IntegrationError("The conversation no longer exists", retryable=False)
        if conversation.answered_through >= through:
            return {"answered": "already"}
        if _guest_wrote_after(tenant, conversation, through):
            return {"merged": "into the turn of the guest's newer message"}
    owner = f"{queue.worker_id()}:{job.pk}"
    if not _take_lease(conversation, owner):
        raise queue.Defer(
            timezone.now() + WAIT_FOR_RUNNING_TURN, "another turn of this conversation is running"
        )
    try:
        return _answer(tenant, conversation, through, owner)
    except IntegrationError as problem:
        if problem.retryable and job.attempts + 1 < job.max_attempts:
            raise  # the queue tries the turn again shortly
        # The last attempt: the guest is not left without anyone answering.
        _ask_staff(tenant, conversation, problem.message)
        raise
    except (queue.Defer, queue.LeaseLost):
        raise
    except Exception:
        # A bug is not retried (automation.queue): staff answer instead, and see why.
        log.exception("conversation_turn_failed")
        _ask_staff(tenant, conversation, "an unexpected error")
        raise
    finally:
        with acting_for_tenant(tenant.id):
            Conversation.objects.filter(pk=conversation.pk, turn_owner=owner).update(
                turn_owner="", turn_lease_until=None
            )


def _ask_staff(tenant: Tenant, conversation: Conversation, error: str) -> None:
    with acting_for_tenant(tenant.id):
        services.escalate(tenant, conversation, COULD_NOT_ANSWER % {"error": error})


def _conversation_of_message(tenant: Tenant, message_id: int) -> int | None:
    chat_id = (
        MessageLog.objects.filter(tenant=tenant, pk=message_id)
        .values_list("chat_id", flat=True)
        .first()
    )
    return (
        Conversation.objects.filter(tenant=tenant, chat_id=chat_id)
        .values_list("pk", flat=True)
        .first()
    )


def _guest_wrote_after(tenant: Tenant, conversation: Conversation, message_id: int) -> bool:
    """Whether a newer guest message has a turn of its own to answer this one with: a STOP or
    START has none (conversations.opt_out answers it), so it does not swallow a question."""
    newer = (
        services.messages_of(conversation)
        .filter(direction=Direction.INBOUND, pk__gt=message_id)
        .values_list("body", flat=True)
    )
    return any(opt_out.command_for(tenant, body) is None for body in newer)


def _take_lease(conversation: Conversation, owner: str) -> bool:
    """The conversation's turn lease, by a conditional update (atomic on every database)."""
    now = timezone.now()
    with acting_for_tenant(conversation.tenant_id):
        taken = (
            Conversation.objects.filter(pk=conversation.pk)
            .filter(
                Q(turn_lease_until__isnull=True)
                | Q(turn_lease_until__lte=now)
                | Q(turn_owner=owner)
            )
            .update(turn_owner=owner, turn_lease_until=now + TURN_LEASE)
        )
    return bool(taken)


def why_silent(conversation: Conversation) -> str | None:
    """Why the concierge must not answer now, or None."""
    if conversation.holder != Holder.AGENT:
        return "staff hold the conversation"
    if conversation.escalated_at is not None:
        return "waiting for staff (escalated)"
    if conversation.status == ConversationStatus.CLOSED:
        return "closed"
    if responder() is None:
        return "no concierge answers automatically"
    return None


def _answer(tenant: Tenant, conversation: Conversation, through: int, owner: str) -> dict[str, Any]:
    with acting_for_tenant(tenant.id):
        conversation = Conversation.objects.select_related("guest", "reservation").get(
            pk=conversation.pk
        )
        silent = why_silent(conversation)
        if silent is not None:
            _answered(conversation, through)
            return {"silent": silent}
        pending = list(
            services.messages_of(conversation)
            .filter(
                direction=Direction.INBOUND,
                pk__gt=conversation.answered_through,
                pk__lte=through,
            )
            .order_by("pk")
        )
    turn = Turn(
        tenant=tenant,
        conversation=conversation,
        guest=conversation.guest,
        reservation=conversation.reservation,
        messages=pending,
    )
    answer = responder()
    reply = answer(turn) if pending and answer is not None else None
    with acting_for_tenant(tenant.id):
        current = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if current.turn_owner != owner:
            # Our lease ran out while the responder thought, and another turn took over.
            raise queue.LeaseLost(f"conversation {current.pk}'s turn was taken over")
        if current.answered_through >= through:
            # Staff took over and handed back while the responder thought: what the guest
            # wrote meanwhile was theirs to answer, and they did.
            return {"answered": "by staff meanwhile"}
        outcome = _apply(tenant, current, turn, reply)
        _answered(current, through)
    log.info("conversation_turn", messages=len(pending), **outcome)
    return outcome


def _apply(
    tenant: Tenant, conversation: Conversation, turn: Turn, reply: Answer | None
) -> dict[str, Any]:
    """The responder's answer, if the concierge may still give it (under the row lock)."""
    if reply is None:
        return {"replied": False}
    for line in reply.staff_lines:
        services.system_line(tenant, conversation, line)
    silent = why_silent(conversation)
    if silent is not None:
        return {"replied": False, "silent": silent}
    if reply.text.strip():
        message = messaging.send_agent_reply(
            tenant,
            guest=turn.guest,
            reservation=turn.reservation,
            chat_id=conversation.chat_id,
            text=reply.text,
            language=reply.language,
            idempotency_key=f"agent-reply:{conversation.pk}:{turn.messages[-1].pk}",
        )
        services.record_outbound(tenant, conversation, message)
    if reply.escalate:
        services.escalate(tenant, conversation, reply.escalate)
    return {"replied": bool(reply.text.strip()), "escalated": bool(reply.escalate)}


def _answered(conversation: Conversation, through: int) -> None:
    Conversation.objects.filter(pk=conversation.pk, answered_through__lt=through).update(
        answered_through=through
    )


def held_back(tenant: Tenant, message: MessageLog) -> str | None:
    """The send guard (messaging.services.SEND_GUARDS): the concierge's answer does not go to a
    conversation that staff took over or that waits for them, whenever that happened."""
    if message.origin != MessageOrigin.AGENT:
        return None
    with acting_for_tenant(tenant.id):
        conversation = Conversation.objects.filter(tenant=tenant, chat_id=message.chat_id).first()
    if conversation is None:
        return None
    # Escalated before this message was written: staff's to answer. Escalated by the turn that
    # wrote it (the concierge's "I have passed this to our team"), the guest must still hear it.
    escalated_before = (
        conversation.escalated_at is not None and conversation.escalated_at < message.created_at
    )
    if (
        conversation.holder != Holder.AGENT
        or escalated_before
        or conversation.status == ConversationStatus.CLOSED
    ):
        return STAFF_HOLD
    # Taken over and handed back since this answer was written: staff answered that turn.
    handed = ConversationNote.objects.filter(
        conversation=conversation,
        kind=NoteKind.EVENT,
        body__in=[services.TOOK_OVER, services.HANDED_BACK],
        created_at__gt=message.created_at,
    )
    return STAFF_HOLD if handed.exists() else None
