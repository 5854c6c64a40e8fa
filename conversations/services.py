"""What staff and the concierge do with a conversation: its thread, who holds it, read state.

The web calls these inside the request's transaction (its tenant context is set); the worker
inside `acting_for_tenant`. Every query names the tenant, so another hotel's conversation is
never found (a 404 in the views).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from conversations.models import (
    Conversation,
    ConversationNote,
    ConversationStatus,
    Holder,
    NoteKind,
)
from hotel.models import Guest, Reservation, ReservationStatus
from innbox.logs import get_logger
from innbox.phones import chat_id_for, e164_from_chat_id
from messaging import services as messaging
from messaging.models import Direction, MessageLog
from tenancy.models import Membership, Tenant

log = get_logger(__name__)
PREVIEW_LENGTH = 160
# The newest messages and notes a thread shows at once; older ones come with "show older".
THREAD_PAGE = 200


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


# --- finding and creating conversations -------------------------------------------------------


def for_chat(
    tenant: Tenant,
    chat_id: str,
    *,
    phone: str | None = None,
    guest: Guest | None = None,
    reservation: Reservation | None = None,
) -> Conversation:
    """The chat's conversation, made on its first message. Its guest and stay follow what the
    newest message was matched to (a guest found later links an unknown number's chat)."""
    conversation, created = Conversation.objects.select_for_update().get_or_create(
        tenant=tenant,
        chat_id=chat_id,
        defaults={
            "phone_e164": phone or "",
            "guest": guest,
            "reservation": reservation,
        },
    )
    if created:
        return conversation
    changed: list[str] = []
    if guest is not None and conversation.guest_id != guest.pk:
        conversation.guest = guest
        changed.append("guest")
    if reservation is not None and conversation.reservation_id != reservation.pk:
        conversation.reservation = reservation
        changed.append("reservation")
    if changed:
        conversation.save(update_fields=[*changed, "updated_at"])
    return conversation


def chat_of_guest(tenant: Tenant, guest: Guest) -> str:
    """The chat a guest is reached in: the one they wrote from, else their number's."""
    if guest.whatsapp_chat_id:
        return guest.whatsapp_chat_id
    if guest.phone_e164:
        return chat_id_for(guest.phone_e164)
    return ""


def of_guest(tenant: Tenant, guest: Guest, *, create: bool = False) -> Conversation | None:
    """The guest's conversation (the reservation and guest pages link to it); made on demand
    when staff open it, for a guest who has a number but never wrote."""
    existing = (
        Conversation.objects.filter(tenant=tenant, guest=guest)
        .order_by(F("last_message_at").desc(nulls_last=True))
        .first()
    )
    if existing is not None or not create:
        return existing
    chat_id = chat_of_guest(tenant, guest)
    if not chat_id:
        return None
    conversation = for_chat(
        tenant,
        chat_id,
        phone=guest.phone_e164 or e164_from_chat_id(chat_id),
        guest=guest,
        reservation=current_stay(tenant, guest),
    )
    if conversation.last_message_at is None:
        _catch_up(conversation)
    return conversation


def _catch_up(conversation: Conversation) -> None:
    """A conversation opened from a guest's page may already have messages (automated ones,
    sends from the reservation page): the inbox list shows the newest, not "no messages"."""
    newest = messages_of(conversation).order_by("-created_at", "-pk").first()
    if newest is None:
        return
    conversation.last_message_at = newest.created_at
    conversation.last_message_preview = _preview(newest.body)
    conversation.last_message_inbound = newest.direction == Direction.INBOUND
    conversation.save(
        update_fields=[
            "last_message_at",
            "last_message_preview",
            "last_message_inbound",
            "updated_at",
        ]
    )


def current_stay(tenant: Tenant, guest: Guest) -> Reservation | None:
    """The stay a guest's conversation concerns: the one in house, else the next arrival (from
    the hotel's today: the worker and the webhook run in no time zone of their own)."""
    today = timezone.localdate(timezone=ZoneInfo(tenant.time_zone))
    return (
        Reservation.objects.filter(tenant=tenant, guest=guest)
        .filter(
            Q(status=ReservationStatus.ON_STAY)
            | Q(status=ReservationStatus.PRE_ARRIVAL, check_in__gte=today)
        )
        .order_by(
            Case(
                When(status=ReservationStatus.ON_STAY, then=0),
                default=1,
                output_field=IntegerField(),
            ),
            "check_in",
        )
        .first()
    )


# --- messages arriving ------------------------------------------------------------------------


def record_guest_message(
    tenant: Tenant, conversation: Conversation, message: MessageLog, *, unread: bool = True
) -> None:
    """A guest wrote: newest activity, one more unread, and a closed conversation reopens."""
    updates: dict[str, Any] = {
        "last_message_at": message.created_at,
        "last_message_preview": _preview(message.body),
        "last_message_inbound": True,
        "updated_at": timezone.now(),
    }
    if unread:
        updates["unread_count"] = F("unread_count") + 1
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    if conversation.status == ConversationStatus.CLOSED:
        Conversation.objects.filter(pk=conversation.pk).update(status=ConversationStatus.OPEN)
        _event(tenant, conversation, None, gettext_noop("Reopened: the guest wrote again."))


def record_hotel_phone_message(
    tenant: Tenant, conversation: Conversation, message: MessageLog
) -> None:
    """Someone answered on the hotel's phone itself: people hold the conversation from now on,
    so the concierge says nothing more until it is handed back."""
    now = timezone.now()
    was_agent = conversation.holder == Holder.AGENT
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at,
        last_message_preview=_preview(message.body),
        last_message_inbound=False,
        unread_count=0,
        holder=Holder.STAFF,
        held_by=None,
        held_since=now if was_agent else F("held_since"),
        updated_at=now,
    )
    if was_agent:
        _event(tenant, conversation, None, gettext_noop("Answered from the hotel's phone."))


def record_outbound(tenant: Tenant, conversation: Conversation, message: MessageLog) -> None:
    """Staff's or the concierge's reply: the conversation's newest activity."""
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at,
        last_message_preview=_preview(message.body),
        last_message_inbound=False,
        updated_at=timezone.now(),
    )


# --- the thread ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    at: dt.datetime
    message: MessageLog | None = None
    note: ConversationNote | None = None


def messages_of(conversation: Conversation) -> QuerySet[MessageLog]:
    """The chat's messages, and its guest's that have no chat yet (no number WhatsApp knew)."""
    in_chat = Q(chat_id=conversation.chat_id)
    if conversation.guest_id:
        in_chat |= Q(guest_id=conversation.guest_id, chat_id="")
    return MessageLog.objects.filter(in_chat, tenant_id=conversation.tenant_id)


def thread(conversation: Conversation, *, limit: int = THREAD_PAGE) -> list[ThreadItem]:
    """Messages and notes, oldest first (as WhatsApp shows them): the newest `limit` of each."""
    messages = list(
        messages_of(conversation).select_related("author").order_by("-created_at", "-pk")[:limit]
    )
    notes = list(
        ConversationNote.objects.filter(conversation=conversation)
        .select_related("author")
        .order_by("-created_at", "-pk")[:limit]
    )
    items = [ThreadItem(at=m.created_at, message=m) for m in messages]
    items += [ThreadItem(at=n.created_at, note=n) for n in notes]
    items.sort(key=lambda item: item.at)
    return items[-limit:]


def mark_read(conversation: Conversation) -> None:
    """Staff opened or answered it: nothing of it is unread any more."""
    now = timezone.now()
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0, updated_at=now)
        conversation.unread_count = 0
        conversation.updated_at = now  # the inbox's live version follows the row
    messages_of(conversation).filter(
        direction=Direction.INBOUND, staff_read_at__isnull=True
    ).update(staff_read_at=now)


# --- staff's actions ---------------------------------------------------------------------------


def _event(
    tenant: Tenant, conversation: Conversation, user: Any, msgid: str, **params: str
) -> ConversationNote:
    """A line in the thread saying what happened: a msgid and its values, translated into the
    reader's language when shown."""
    return ConversationNote.objects.create(
        tenant=tenant,
        conversation=conversation,
        kind=NoteKind.EVENT,
        author=user,
        body=msgid,
        params=params,
    )


def system_line(tenant: Tenant, conversation: Conversation, text: str) -> ConversationNote:
    """What the concierge did (a tool call and its result), shown to staff only, as written."""
    return ConversationNote.objects.create(
        tenant=tenant, conversation=conversation, kind=NoteKind.SYSTEM, body=text
    )


def add_note(tenant: Tenant, conversation: Conversation, user: Any, body: str) -> ConversationNote:
    return ConversationNote.objects.create(
        tenant=tenant, conversation=conversation, kind=NoteKind.NOTE, author=user, body=body
    )


def _lock(conversation: Conversation) -> Conversation:
    """The row as it is now, locked until the transaction ends: two clicks, or a click and a
    turn of the concierge, change it one after the other."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


TOOK_OVER = gettext_noop("Took over the conversation.")
HANDED_BACK = gettext_noop("Handed back to the concierge.")


def take_over(tenant: Tenant, conversation: Conversation, user: Any) -> Conversation:
    """People answer from now on; the concierge stays silent, also for a turn already running
    (its answer is held back at send time)."""
    current = _lock(conversation)
    if current.holder == Holder.STAFF and current.held_by_id == user.pk:
        return current
    current.holder, current.held_by, current.held_since = Holder.STAFF, user, timezone.now()
    current.save(update_fields=["holder", "held_by", "held_since", "updated_at"])
    _event(tenant, current, user, TOOK_OVER)
    return current


def hand_back(tenant: Tenant, conversation: Conversation, user: Any) -> Conversation:
    """The concierge answers again, from the guest's next message on: what the guest wrote
    while people held the conversation was theirs to answer. An escalation is settled."""
    current = _lock(conversation)
    if current.holder == Holder.AGENT and current.escalated_at is None:
        return current
    current.holder, current.held_by, current.held_since = Holder.AGENT, None, None
    current.escalated_at, current.escalation_reason = None, ""
    current.answered_through = _newest_guest_message_id(current)
    current.save(
        update_fields=[
            "holder",
            "held_by",
            "held_since",
            "escalated_at",
            "escalation_reason",
            "answered_through",
            "updated_at",
        ]
    )
    _event(tenant, current, user, HANDED_BACK)
    return current


def _newest_guest_message_id(conversation: Conversation) -> int:
    newest = (
        messages_of(conversation)
        .filter(direction=Direction.INBOUND)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return max(newest or 0, conversation.answered_through)


ASKED_FOR_A_PERSON = gettext_noop("Asked for a person: %(reason)s")


def escalate(
    tenant: Tenant, conversation: Conversation, reason: str, *, event: str = ASKED_FOR_A_PERSON
) -> Conversation:
    """The concierge asks for a person (or something else does: a low feedback rating, whose
    thread line is its own `event`, a msgid with %(reason)s): flagged for staff, and silent
    until handed back."""
    current = _lock(conversation)
    if current.escalated_at is None:
        current.escalated_at, current.escalation_reason = timezone.now(), reason
        if current.status == ConversationStatus.CLOSED:
            current.status = ConversationStatus.OPEN
        current.save(update_fields=["escalated_at", "escalation_reason", "status", "updated_at"])
        _event(tenant, current, None, event, reason=reason)
    return current


def assign(
    tenant: Tenant, conversation: Conversation, user: Any, assignee: Any | None
) -> Conversation:
    current = _lock(conversation)
    if current.assignee_id == (assignee.pk if assignee else None):
        return current
    current.assignee = assignee
    current.save(update_fields=["assignee", "updated_at"])
    if assignee is None:
        _event(tenant, current, user, gettext_noop("Unassigned."))
    else:
        _event(
            tenant,
            current,
            user,
            gettext_noop("Assigned to %(name)s."),
            name=display_name(assignee),
        )
    return current


def close(tenant: Tenant, conversation: Conversation, user: Any) -> Conversation:
    current = _lock(conversation)
    if current.status == ConversationStatus.CLOSED:
        return current
    current.status = ConversationStatus.CLOSED
    current.save(update_fields=["status", "updated_at"])
    mark_read(current)
    _event(tenant, current, user, gettext_noop("Closed."))
    return current


def reopen(tenant: Tenant, conversation: Conversation, user: Any) -> Conversation:
    current = _lock(conversation)
    if current.status == ConversationStatus.OPEN:
        return current
    current.status = ConversationStatus.OPEN
    current.save(update_fields=["status", "updated_at"])
    _event(tenant, current, user, gettext_noop("Reopened."))
    return current


def reply(
    tenant: Tenant,
    conversation: Conversation,
    user: Any,
    *,
    free_text: str = "",
    trigger: str = "",
) -> MessageLog:
    """Staff answer from the inbox: queued like any manual send, to the conversation's chat.
    Answering is holding: the concierge stays silent from now on, and the thread is read."""
    # Held first, so the thread reads "took over", then the reply (a refused send rolls both
    # back: the caller's transaction). `staff_sent` then finds it held and read already.
    take_over(tenant, conversation, user)
    return messaging.send_manual(
        tenant,
        reservation=conversation.reservation,
        guest=conversation.guest,
        trigger=trigger,
        free_text=free_text,
        author=user,
        chat_id=conversation.chat_id,
    )


def staff_sent(tenant: Tenant, message: MessageLog, user: Any) -> None:
    """A person wrote to the guest (from the inbox, a reservation or a guest page): answering
    is holding, so the concierge stays silent from now on, and the chat is read."""
    if not message.chat_id:
        return
    conversation = for_chat(
        tenant,
        message.chat_id,
        phone=e164_from_chat_id(message.chat_id),
        guest=message.guest,
        reservation=message.reservation,
    )
    current = take_over(tenant, conversation, user)
    record_outbound(tenant, current, message)
    mark_read(current)
    # The guest may talk to the hotel from another chat too (a link opened on another phone):
    # a person answering them holds every conversation of theirs.
    if message.guest_id is not None:
        others = Conversation.objects.filter(tenant=tenant, guest_id=message.guest_id).exclude(
            pk=current.pk
        )
        for other in others:
            take_over(tenant, other, user)


def link_guest(tenant: Tenant, conversation: Conversation, guest: Guest, user: Any) -> None:
    """Staff say who an unknown number is; the guest's chat becomes this one."""
    current = _lock(conversation)
    current.guest = guest
    current.reservation = current_stay(tenant, guest)
    current.save(update_fields=["guest", "reservation", "updated_at"])
    if not guest.whatsapp_chat_id:
        guest.whatsapp_chat_id = conversation.chat_id
        fields = ["whatsapp_chat_id", "updated_at"]
        if not guest.phone_e164 and conversation.phone_e164:
            guest.phone_e164 = conversation.phone_e164
            fields.append("phone_e164")
        guest.save(update_fields=fields)
    # Their earlier messages in this chat now belong to them, as new ones will.
    MessageLog.objects.filter(
        tenant=tenant, chat_id=conversation.chat_id, guest__isnull=True
    ).update(guest=guest)
    _event(
        tenant, current, user, gettext_noop("Linked to the guest %(name)s."), name=guest.full_name
    )


def create_guest(
    tenant: Tenant,
    conversation: Conversation,
    user: Any,
    *,
    first_name: str,
    last_name: str,
    language: str,
) -> Guest:
    guest = Guest.objects.create(
        tenant=tenant,
        first_name=first_name,
        last_name=last_name,
        language=language,
        phone_e164=conversation.phone_e164,
        whatsapp_chat_id=conversation.chat_id,
    )
    link_guest(tenant, conversation, guest, user)
    return guest


def display_name(user: Any) -> str:
    """How staff are named in the inbox: their name where the user model has one, else their
    email (Innbox's users are an email and a password)."""
    if user is None:
        return ""
    first, last = getattr(user, "first_name", ""), getattr(user, "last_name", "")
    return f"{first} {last}".strip() or user.email


# --- lists and counts ------------------------------------------------------------------------

TABS = ("unread", "escalated", "mine", "all", "closed")


def inbox(tenant: Tenant, user: Any, tab: str, query: str = "") -> QuerySet[Conversation]:
    """One tab of the inbox, newest activity first, searched by name, phone, code or room."""
    conversations = Conversation.objects.filter(tenant=tenant).select_related(
        "guest", "reservation", "held_by", "assignee"
    )
    if tab == "unread":
        conversations = conversations.filter(status=ConversationStatus.OPEN, unread_count__gt=0)
    elif tab == "escalated":
        conversations = conversations.filter(
            status=ConversationStatus.OPEN, escalated_at__isnull=False
        )
    elif tab == "mine":
        conversations = conversations.filter(status=ConversationStatus.OPEN, assignee=user)
    elif tab == "closed":
        conversations = conversations.filter(status=ConversationStatus.CLOSED)
    else:
        conversations = conversations.filter(status=ConversationStatus.OPEN)
    if query.strip():
        conversations = conversations.filter(_search(tenant, query.strip()))
    return conversations.order_by(F("last_message_at").desc(nulls_last=True), "-pk")


def _search(tenant: Tenant, query: str) -> Q:
    digits = "".join(ch for ch in query if ch.isdigit())
    words = query.split()
    by_name = Q()
    for word in words:
        by_name &= (
            Q(guest__first_name__icontains=word)
            | Q(guest__last_name__icontains=word)
            | Q(contact_name__icontains=word)
        )
    found = by_name
    if len(digits) >= 4:
        found |= Q(phone_e164__contains=digits) | Q(chat_id__startswith=digits)
    stays = Reservation.objects.filter(tenant=tenant).filter(
        Q(booking_code__iexact=query) | Q(room_number__iexact=query)
    )
    found |= Q(guest__in=stays.values("guest"))
    return found


def counts(tenant: Tenant, user: Any) -> dict[str, int]:
    """Each tab's number and the unread messages (the sidebar badge), in one query."""
    open_ = Q(status=ConversationStatus.OPEN)
    row = Conversation.objects.filter(tenant=tenant).aggregate(
        unread=Count("pk", filter=open_ & Q(unread_count__gt=0)),
        unread_messages=Sum("unread_count", filter=open_),
        escalated=Count("pk", filter=open_ & Q(escalated_at__isnull=False)),
        mine=Count("pk", filter=open_ & Q(assignee=user)),
        all=Count("pk", filter=open_),
        closed=Count("pk", filter=Q(status=ConversationStatus.CLOSED)),
    )
    return {key: int(value or 0) for key, value in row.items()}


def unread_messages(tenant: Tenant) -> int:
    """The sidebar's badge on every page: one small indexed sum."""
    total = Conversation.objects.filter(
        tenant=tenant, status=ConversationStatus.OPEN, unread_count__gt=0
    ).aggregate(total=Sum("unread_count"))["total"]
    return int(total or 0)


def needs_reply(tenant: Tenant, limit: int = 5) -> list[Conversation]:
    """The dashboard's short list: open conversations whose last word is the guest's."""
    return list(
        Conversation.objects.filter(
            tenant=tenant, status=ConversationStatus.OPEN, last_message_inbound=True
        )
        .filter(Q(unread_count__gt=0) | Q(escalated_at__isnull=False))
        .select_related("guest")
        .order_by("-last_message_at")[:limit]
    )


@dataclass(frozen=True)
class Activity:
    """What every page's sidebar badge shows, and what browser notifications compare with:
    the unread messages, the escalated conversations, and the newest of each (one query)."""

    unread: int
    escalated: int
    latest_message: dt.datetime | None
    latest_escalation: dt.datetime | None


def activity(tenant: Tenant) -> Activity:
    open_ = Q(status=ConversationStatus.OPEN)
    row = Conversation.objects.filter(tenant=tenant).aggregate(
        unread=Sum("unread_count", filter=open_ & Q(unread_count__gt=0)),
        escalated=Count("pk", filter=open_ & Q(escalated_at__isnull=False)),
        latest_message=Max("last_message_at", filter=Q(last_message_inbound=True)),
        latest_escalation=Max("escalated_at", filter=open_),
    )
    return Activity(
        unread=int(row["unread"] or 0),
        escalated=int(row["escalated"] or 0),
        latest_message=row["latest_message"],
        latest_escalation=row["latest_escalation"],
    )


def newest_from_guest(tenant: Tenant) -> Conversation | None:
    """The conversation a guest wrote in last (what a browser notification names)."""
    return (
        Conversation.objects.filter(
            tenant=tenant, status=ConversationStatus.OPEN, last_message_inbound=True
        )
        .select_related("guest")
        .order_by(F("last_message_at").desc(nulls_last=True))
        .first()
    )


def newest_escalation(tenant: Tenant) -> Conversation | None:
    return (
        Conversation.objects.filter(
            tenant=tenant, status=ConversationStatus.OPEN, escalated_at__isnull=False
        )
        .select_related("guest")
        .order_by("-escalated_at")
        .first()
    )


# --- what the inbox polls ----------------------------------------------------------------------
# A page asks every few seconds whether anything changed, with the version it shows; the answer
# is "no" (one small aggregate) far more often than a new page of rows.


def _stamp(*parts: object) -> str:
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:16]


def list_version(tenant: Tenant) -> str:
    """Changes whenever any conversation of the hotel does (a message, a tick of read, a
    takeover, an assignment): every write to a conversation stamps its updated_at."""
    row = Conversation.objects.filter(tenant=tenant).aggregate(
        newest=Max("updated_at"), count=Count("pk")
    )
    return _stamp(row["newest"], row["count"])


def thread_version(conversation: Conversation) -> str:
    """Changes with the conversation's state, any message of its thread (a new one, a delivery
    tick, a failure) and any note."""
    messages = messages_of(conversation).aggregate(newest=Max("updated_at"), count=Count("pk"))
    notes = ConversationNote.objects.filter(conversation=conversation).aggregate(newest=Max("pk"))
    return _stamp(conversation.updated_at, messages["newest"], messages["count"], notes["newest"])


def members(tenant: Tenant) -> list[Membership]:
    """Who a conversation can be assigned to: the hotel's people, owners and staff."""
    return list(
        Membership.objects.filter(tenant=tenant, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )
