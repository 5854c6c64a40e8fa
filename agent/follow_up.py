"""The post-stay follow-up: when a guest has not answered the feedback form 24 hours after the
hotel's thank-you, the concierge writes to them once, personally, and reads their answer.

    queue_follow_ups(tenant, now)   periodic task (automation.scheduler): one job per stay,
                                    keyed "<reservation>:feedback-follow-up", so a stay gets
                                    one follow-up whatever the ticks and workers do
    run_follow_up(job, tenant)      the job: checks, writes the text, queues it
    waiting_for(turn)               the follow-up a guest's turn answers, if any

No follow-up once the form is answered, to a guest who opted out, or while staff hold the
conversation (the conversations app's send guard, asked through messaging); each is checked
when the job runs, again after the text is written, and by the worker right before the send
(the message is the concierge's: origin agent). Quiet hours defer the job.

The text uses the stay: room type, nights, what was spent, earlier stays, what the guest
ordered or asked for. In LLM mode the model writes it from those facts (no tools, never the
guest's words); without a model, or when it fails, the embedded text (English, Indonesian)
goes instead.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from agent import llm_config, menu
from agent.models import (
    FeedbackFollowUp,
    FollowUpOutcome,
    HousekeepingRequest,
    HousekeepingType,
    RoomServiceOrder,
)
from agent.replies import join, reply_language
from automation import queue
from automation.models import AutomationJob, JobKind
from hotel.models import FeedbackStatus, Reservation, ReservationStatus
from innbox.integrations import IntegrationError
from innbox.logs import get_logger
from messaging import services as messaging
from messaging import timing, trigger_rules
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)

# How long after the thank-you was sent the follow-up goes, if the form is still unanswered.
FOLLOW_UP_AFTER = dt.timedelta(hours=24)
# A thank-you older than this gets no follow-up (a week-old stay, or one from before this
# feature was switched on): a late "how was it?" reads like a machine's.
FOLLOW_UP_NO_LATER_THAN = dt.timedelta(days=7)
# Stays that ended this long ago at most can have a thank-you young enough (the thank-you goes
# the day after departure, or a few days after where the hotel chose so).
RECENT_DEPARTURES = dt.timedelta(days=30)
# The guest's words in the chat are read as the answer to the follow-up this long after it.
ANSWER_WINDOW = dt.timedelta(days=14)
MAX_TEXT = 900
FORM_ANSWERED = "the feedback form is answered"
SENT = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ]


def job_key(reservation_id: int) -> str:
    return f"{reservation_id}:feedback-follow-up"


def send_key(reservation_id: int) -> str:
    return f"{reservation_id}:feedback-follow-up:send"


# --- the periodic task --------------------------------------------------------------------------


def queue_follow_ups(tenant: Tenant, now: dt.datetime) -> int:
    """One follow-up job per stay whose thank-you went 24 hours ago (and at most a week ago)
    while its feedback form is still unanswered. Returns how many jobs are new."""
    thanked = MessageLog.objects.filter(
        reservation_id=OuterRef("pk"),
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.POST_STAY,
        sent_at__lte=now - FOLLOW_UP_AFTER,
        sent_at__gt=now - FOLLOW_UP_NO_LATER_THAN,
    )
    with acting_for_tenant(tenant.id):
        # Every minute, for every hotel: from the stays that left lately with their form
        # pending (indexed by departure), never from the hotel's whole message history.
        due = set(
            Reservation.objects.filter(
                Exists(thanked),
                tenant=tenant,
                check_out__gte=now.date() - RECENT_DEPARTURES,
                feedback_status=FeedbackStatus.PENDING,
                guest__opted_out_at__isnull=True,
            ).values_list("pk", flat=True)
        )
        if not due:
            return 0
        queued_before = set(
            AutomationJob.objects.filter(
                tenant=tenant, idempotency_key__in=[job_key(pk) for pk in due]
            ).values_list("idempotency_key", flat=True)
        )
        queued = 0
        for reservation_id in sorted(due):
            if job_key(reservation_id) in queued_before:
                continue
            try:
                with transaction.atomic():
                    queue.enqueue(
                        tenant,
                        JobKind.FEEDBACK_FOLLOW_UP,
                        {"reservation": reservation_id},
                        run_at=now,
                        reservation_id=reservation_id,
                        idempotency_key=job_key(reservation_id),
                        # The clock caused it, no request did: an id of its own, carried to
                        # the send job it queues (and its logs).
                        request_id=f"follow-up-{uuid.uuid4().hex}",
                    )
            except IntegrityError:  # another scheduler queued it a moment ago
                continue
            queued += 1
    return queued


# --- the job ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StayFacts:
    """What the follow-up may use: the guest's own stay, nothing of anyone else's."""

    hotel: str
    first_name: str
    language: str
    room_type: str
    nights: int
    spent: str
    earlier_stays: int
    ordered: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    had_a_fault: bool = False
    chat_id: str = ""


def run_follow_up(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    reservation_id = int(job.payload["reservation"])
    now = timezone.now()
    with acting_for_tenant(tenant.id):
        stay = _stay(tenant, reservation_id)
        why = why_not(tenant, stay)
        if why is not None:
            return _skipped(why)
        assert stay is not None
        allowed = timing.next_allowed(now, timing.zone_for(stay, tenant.time_zone))
        if allowed > now:
            raise queue.Defer(allowed, "quiet hours")
        facts = stay_facts(tenant, stay)
    text, written_by = write(tenant, facts)
    with acting_for_tenant(tenant.id):
        # Asked again: the guest may have answered the form while the text was written.
        stay = _stay(tenant, reservation_id)
        why = why_not(tenant, stay)
        if why is not None:
            return _skipped(why)
        assert stay is not None
        follow_up, _created = FeedbackFollowUp.objects.get_or_create(
            tenant=tenant, reservation=stay, defaults={"guest": stay.guest}
        )
        if follow_up.message_id is not None:
            return {"already": "written"}
        message = messaging.send_agent_reply(
            tenant,
            guest=stay.guest,
            reservation=stay,
            chat_id=facts.chat_id,
            text=text,
            language=facts.language,
            idempotency_key=send_key(stay.pk),
        )
        follow_up.message = message
        follow_up.save(update_fields=["message", "updated_at"])
    log.info("feedback_follow_up_queued", written_by=written_by)
    return {"message": str(message.public_id), "written_by": written_by}


def _skipped(why: str) -> dict[str, Any]:
    log.info("feedback_follow_up_skipped", reason=why)
    return {"skipped": why}


def _stay(tenant: Tenant, reservation_id: int) -> Reservation | None:
    return (
        Reservation.objects.select_related("guest").filter(tenant=tenant, pk=reservation_id).first()
    )


def why_not(tenant: Tenant, stay: Reservation | None) -> str | None:
    """Why no follow-up goes to this stay now, or None."""
    if stay is None:
        return "the stay no longer exists"
    if stay.feedback_status != FeedbackStatus.PENDING:
        return FORM_ANSWERED
    guest = stay.guest
    if guest.opted_out_at is not None:
        return trigger_rules.OPTED_OUT
    if guest.anonymised_at is not None or not guest.phone_e164:
        return "the guest has no number to write to"
    return _held(tenant, stay)


def _held(tenant: Tenant, stay: Reservation) -> str | None:
    """Whether people hold the guest's conversation: asked of the send guards (the
    conversations app registers one) with the message the concierge would send."""
    probe = MessageLog(
        tenant=tenant,
        direction=Direction.OUTBOUND,
        guest=stay.guest,
        reservation=stay,
        origin=MessageOrigin.AGENT,
        chat_id=_chat_of(tenant, stay),
        created_at=timezone.now(),
    )
    return messaging.why_held_back(tenant, probe)


def _chat_of(tenant: Tenant, stay: Reservation) -> str:
    """The chat the thank-you went to (empty: the guest's number decides when it is queued)."""
    return (
        MessageLog.objects.filter(
            tenant=tenant,
            reservation=stay,
            direction=Direction.OUTBOUND,
            origin=MessageOrigin.POST_STAY,
        )
        .exclude(chat_id="")
        .order_by("-pk")
        .values_list("chat_id", flat=True)
        .first()
        or stay.guest.whatsapp_chat_id
    )


def stay_facts(tenant: Tenant, stay: Reservation) -> StayFacts:
    guest = stay.guest
    language = (guest.language or tenant.default_language or "en").split("-")[0].lower()
    orders = RoomServiceOrder.objects.filter(tenant=tenant, reservation=stay)
    ordered: list[str] = []
    for order in orders.order_by("created_at")[:20]:
        for item in order.items if isinstance(order.items, list) else []:
            name = str(item.get("name", "")).strip() if isinstance(item, dict) else ""
            if name and name not in ordered:
                ordered.append(name)
    kinds = list(
        HousekeepingRequest.objects.filter(tenant=tenant, reservation=stay)
        .order_by("created_at")
        .values_list("request_type", flat=True)[:20]
    )
    room_service = orders.aggregate(total=Sum("total"))["total"] or Decimal(0)
    currency = stay.currency or menu.hotel_currency(tenant)
    spent = (stay.amount or Decimal(0)) + room_service
    earlier = (
        Reservation.objects.filter(
            tenant=tenant,
            guest=guest,
            status=ReservationStatus.CHECKED_OUT,
            check_in__lt=stay.check_in,
        )
        .exclude(pk=stay.pk)
        .count()
    )
    return StayFacts(
        hotel=tenant.name,
        first_name=guest.first_name.strip(),
        language=language,
        room_type=stay.room_type.strip(),
        nights=max((stay.check_out - stay.check_in).days, 1),
        spent=menu.format_money(spent, currency, reply_language(language)) if spent else "",
        earlier_stays=earlier,
        ordered=ordered[:5],
        requested=sorted(set(kinds)),
        had_a_fault=HousekeepingType.MAINTENANCE in kinds,
        chat_id=_chat_of(tenant, stay),
    )


# --- the text -----------------------------------------------------------------------------------


def write(tenant: Tenant, facts: StayFacts) -> tuple[str, str]:
    """The follow-up's text and who wrote it ("model" or "template"): the model when one is
    configured and its text is usable, else the embedded text."""
    if llm_config.brain() == "llm":
        try:
            written = _by_model(facts)
        except IntegrationError as failure:
            log.warning("feedback_follow_up_model_failed", error=failure.message)
        else:
            if written:
                return written, "model"
    return embedded_text(facts), "template"


def _by_model(facts: StayFacts) -> str:
    from agent import llm  # the model client loads only in LLM mode

    text = llm.write_message(_instructions(facts), _brief(facts)).strip()
    if not text or len(text) > MAX_TEXT or llm.looks_like_tool_call(text):
        log.warning("feedback_follow_up_model_unusable", characters=len(text))
        return ""
    return text


def _language_for_model(code: str) -> str:
    from agent import llm

    return llm.LANGUAGE_NAMES.get(code) or f"the language with the ISO 639-1 code '{code}'"


def _instructions(facts: StayFacts) -> str:
    return f"""You write one WhatsApp message for the hotel "{facts.hotel}" to a guest who \
checked out recently and has not answered the hotel's feedback form.
Rules:
1. Write in {_language_for_model(facts.language)}, warmly and personally, in at most 4 short \
sentences, as a person of the hotel would. No greeting card phrases, no hashtags, no links.
2. Use the facts given (their room, nights, what they ordered or asked for, earlier stays) to \
make it personal, but never mention money, prices or what they spent, and never invent \
anything that is not in the facts.
3. Ask how their stay was and for a rating from 1 to 5, to be answered in this chat.
4. Output only the message text."""


def _brief(facts: StayFacts) -> str:
    lines = [
        f"Guest's first name: {facts.first_name or '(unknown)'}",
        f"Room type: {facts.room_type or '(not known)'}",
        f"Nights: {facts.nights}",
        f"Earlier stays at the hotel: {facts.earlier_stays}",
        f"Spent (for your tone only, never mention it): {facts.spent or '(not known)'}",
        f"Ordered from room service: {', '.join(facts.ordered) or 'nothing'}",
        f"Asked housekeeping for: {', '.join(facts.requested) or 'nothing'}",
    ]
    if facts.had_a_fault:
        lines.append("Something in their room needed fixing during the stay.")
    return "Facts about the stay:\n" + "\n".join(lines)


_TEXTS = {
    "en": {
        "hello": "Hello{name}, this is {hotel} again.",
        "stay": "Thank you once more for your {nights} in our {room}.",
        "stay_no_room": "Thank you once more for your {nights} with us.",
        "night": "night",
        "nights": "nights",
        "room": "room",
        "back": "It was a real pleasure to welcome you back.",
        "ordered": "We hope you enjoyed the {items} from room service.",
        "fault": "We are sorry that something in your room needed fixing, and thank you for "
        "your patience.",
        "requested": "We hope we looked after everything you asked for.",
        "ask": "How was your stay? If you have a moment, just reply here with a rating from 1 "
        "to 5 and anything we could do better.",
    },
    "id": {
        "hello": "Halo{name}, kami dari {hotel} lagi.",
        "stay": "Terima kasih sekali lagi telah menginap {nights} di {room} kami.",
        "stay_no_room": "Terima kasih sekali lagi telah menginap {nights} bersama kami.",
        "night": "malam",
        "nights": "malam",
        "room": "kamar",
        "back": "Senang sekali dapat menyambut Anda kembali.",
        "ordered": "Semoga Anda menikmati {items} dari room service kami.",
        "fault": "Mohon maaf ada yang perlu diperbaiki di kamar Anda, dan terima kasih atas "
        "kesabaran Anda.",
        "requested": "Semoga semua yang Anda minta sudah kami layani dengan baik.",
        "ask": "Bagaimana pengalaman menginap Anda? Jika sempat, cukup balas di sini dengan "
        "nilai 1 sampai 5 dan apa yang bisa kami tingkatkan.",
    },
}


def embedded_text(facts: StayFacts) -> str:
    """The follow-up without a model, from the stay's facts, in English or Indonesian."""
    language = reply_language(facts.language)
    texts = _TEXTS[language]
    nights = f"{facts.nights} {texts['night'] if facts.nights == 1 else texts['nights']}"
    parts = [
        texts["hello"].format(
            name=f" {facts.first_name}" if facts.first_name else "", hotel=facts.hotel
        ),
        texts["stay"].format(nights=nights, room=facts.room_type)
        if facts.room_type
        else texts["stay_no_room"].format(nights=nights),
    ]
    if facts.earlier_stays:
        parts.append(texts["back"])
    if facts.ordered:
        parts.append(texts["ordered"].format(items=join(facts.ordered[:3], language)))
    if facts.had_a_fault:
        parts.append(texts["fault"])
    elif facts.requested:
        parts.append(texts["requested"])
    parts.append(texts["ask"])
    return " ".join(parts)


# --- the guest's answer -------------------------------------------------------------------------


def waiting_for(turn: Any) -> FeedbackFollowUp | None:
    """The follow-up this guest's turn answers: written to this chat before the turn, sent in
    the last two weeks, its stay's feedback still unanswered and nothing settled yet."""
    if turn.guest is None or not turn.messages:
        return None
    conversation = turn.conversation
    with acting_for_tenant(turn.tenant.id):
        return (
            FeedbackFollowUp.objects.select_related("reservation", "reservation__guest")
            .filter(
                Q(message__chat_id=conversation.chat_id) | Q(message__chat_id=""),
                tenant=turn.tenant,
                guest=turn.guest,
                outcome=FollowUpOutcome.WAITING,
                message__status__in=SENT,
                message__sent_at__gte=timezone.now() - ANSWER_WINDOW,
                message__pk__lt=turn.messages[0].pk,
                reservation__feedback_status=FeedbackStatus.PENDING,
            )
            .order_by("-created_at")
            .first()
        )


def settle(follow_up: FeedbackFollowUp, *, asked: bool, to_staff: bool, comments: str) -> None:
    """What the answer changed: asked once more for a rating, or left to staff."""
    values: dict[str, Any] = {"comments": comments[:4000], "updated_at": timezone.now()}
    if asked:
        values["asked_rating_at"] = timezone.now()
    if to_staff:
        values["outcome"] = FollowUpOutcome.STAFF
    with acting_for_tenant(follow_up.tenant_id):
        FeedbackFollowUp.objects.filter(pk=follow_up.pk, outcome=FollowUpOutcome.WAITING).update(
            **values
        )


def recorded(follow_up: FeedbackFollowUp) -> bool:
    """Whether the guest's rating for this follow-up has been recorded (update_guest_feedback)."""
    with acting_for_tenant(follow_up.tenant_id):
        return FeedbackFollowUp.objects.filter(
            pk=follow_up.pk, outcome=FollowUpOutcome.RECORDED
        ).exists()


def no_longer_wanted(tenant: Tenant, message: MessageLog) -> str | None:
    """A send guard (messaging.services.SEND_GUARDS): a follow-up still waiting to leave when
    the guest answers the form (or is erased) stays unsent; asked right before the send."""
    if message.origin != MessageOrigin.AGENT or message.pk is None:
        return None
    with acting_for_tenant(tenant.id):
        stay = (
            FeedbackFollowUp.objects.filter(tenant=tenant, message_id=message.pk)
            .values_list("reservation__feedback_status", flat=True)
            .first()
        )
    if stay is None or stay == FeedbackStatus.PENDING:
        return None
    return FORM_ANSWERED
