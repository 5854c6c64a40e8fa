"""Composing and sending guest messages: language choice, rendering, manual sends, the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from automation import queue
from automation.models import JobKind
from hotel.models import Guest, Reservation
from innbox.i18n import TranslatedError
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from innbox.phones import chat_id_for, e164_from_chat_id, to_e164
from messaging import journey, renderer
from messaging.models import (
    Direction,
    JourneySettings,
    MessageLog,
    MessageOrigin,
    MessageStatus,
    MessageTemplate,
    MessageTemplateVariant,
)
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant
from whatsapp import pacing, sender

log = get_logger(__name__)
# A send job's payload flag: this message confirms the guest's opt-out, so their opt-out does
# not hold it back (messaging.jobs).
CONFIRMS_OPT_OUT = "confirms_opt_out"
# The last line of every automated message while the hotel keeps it on (tenants.opt_out_line):
# the guest's way out, in their language. The word is one conversations.opt_out knows.
OPT_OUT_LINE = gettext_noop("Reply STOP to opt out.")


def choose_variant(
    template: MessageTemplate, guest_language: str, default_language: str
) -> MessageTemplateVariant | None:
    """The guest's language, else the hotel's default, else any active variant (stable order)."""
    variants = [v for v in template.variants.all() if v.is_active]
    by_language = {primary_language(variant.language_code): variant for variant in variants}
    for language in (primary_language(guest_language), primary_language(default_language)):
        if language and language in by_language:
            return by_language[language]
    return min(variants, key=lambda v: v.language_code) if variants else None


def primary_language(code: str) -> str:
    """'ID', 'id-ID', 'id_ID' -> 'id': PMSs write languages in many ways."""
    return code.replace("_", "-").split("-")[0].strip().lower()


# The variables whose values are the hotel's journey settings.
JOURNEY_VARIABLES = {"checkoutTime", "lateCheckoutOffer"}


def values_for(
    tenant: Tenant,
    reservation: Reservation | None,
    guest: Guest | None,
    language: str,
    feedback_link: str = "",
    room_numbers: Sequence[str] = (),
    *,
    content: str | None = None,
) -> renderer.Values:
    """`room_numbers`: the rooms of a trip one message is for ("101, 102"); else the
    reservation's own. `content`: the text the values are for; the hotel's journey settings
    are read only when it names one of theirs (a send stays within its statement budget)."""
    guest = guest or (reservation.guest if reservation else None)
    room_number = reservation.room_number if reservation else ""
    needs_journey = content is None or bool(JOURNEY_VARIABLES & set(renderer.placeholders(content)))
    timings = journey.settings_for(tenant) if needs_journey else JourneySettings()
    return renderer.Values(
        guest_name=guest.full_name if guest else "",
        room_number=", ".join(room_numbers) if room_numbers else room_number,
        check_in=reservation.check_in if reservation else None,
        check_out=reservation.check_out if reservation else None,
        hotel_name=tenant.name,
        feedback_link=feedback_link,
        language=primary_language(language),
        checkout_time=timings.checkout_time,
        late_checkout_offer=timings.late_checkout_offer,
    )


SAMPLE_GUEST = Guest(first_name="Ana", last_name="Wijaya", language="id")
SAMPLE_RESERVATION = Reservation(
    guest=SAMPLE_GUEST,
    room_number="214",
    check_in=dt.date(2026, 12, 24),
    check_out=dt.date(2026, 12, 27),
)


@dataclass(frozen=True)
class Composed:
    text: str
    language: str
    template: MessageTemplate | None


class NothingToSend(TranslatedError):
    """Why staff's message cannot go out; translated when shown (innbox.i18n)."""


# Who makes a stay's feedback link: the feedback app, above messaging, registers it in its
# AppConfig.ready (messaging imports no app above it). Empty: the link renders as "".
FEEDBACK_LINK_ISSUER: list[Callable[[Reservation], str]] = []


def register_feedback_link_issuer(issue_link: Callable[[Reservation], str]) -> None:
    FEEDBACK_LINK_ISSUER[:] = [issue_link]


# Why a composed message must not go after all, asked by the worker right before the send (the
# conversations app: the concierge's answer to a conversation that staff took over meanwhile).
# A guard returns a skip reason (a msgid, like messaging.trigger_rules), or None.
SendGuard = Callable[[Tenant, MessageLog], str | None]
SEND_GUARDS: list[SendGuard] = []


def register_send_guard(guard: SendGuard) -> None:
    if guard not in SEND_GUARDS:
        SEND_GUARDS.append(guard)


# Who hears that a person queued a message to a guest (conversations: the chat is read, and
# held by that person, wherever they wrote from: the inbox, a reservation or a guest page).
StaffSendListener = Callable[[Tenant, MessageLog, Any], None]
STAFF_SEND_LISTENERS: list[StaffSendListener] = []


def on_staff_send(listener: StaffSendListener) -> None:
    if listener not in STAFF_SEND_LISTENERS:
        STAFF_SEND_LISTENERS.append(listener)


# How long after a guest's own message an answer is a service reply, which a guest who opted
# out of messages still gets (WhatsApp's customer service window is as long).
SERVICE_WINDOW = dt.timedelta(hours=24)


def answers_the_guest(guest: Guest) -> bool:
    """Whether the guest wrote recently, after opting out: answering them is a service, not a
    message they refused."""
    since = timezone.now() - SERVICE_WINDOW
    if guest.opted_out_at is not None:
        since = max(since, guest.opted_out_at)
    return MessageLog.objects.filter(
        guest=guest, direction=Direction.INBOUND, created_at__gt=since
    ).exists()


def why_held_back(tenant: Tenant, message: MessageLog) -> str | None:
    for guard in SEND_GUARDS:
        reason = guard(tenant, message)
        if reason is not None:
            return reason
    return None


def compose(
    tenant: Tenant,
    *,
    reservation: Reservation | None = None,
    guest: Guest | None = None,
    trigger: str = "",
    free_text: str = "",
    issue_feedback_link: bool = False,
    room_numbers: Sequence[str] = (),
    automated: bool = False,
) -> Composed:
    """The exact text a guest would receive, for a template trigger or staff's own words.
    `automated`: a trigger's own send (not staff's), which ends with the opt-out line."""
    guest = guest or (reservation.guest if reservation else None)
    if not trigger:
        return _compose_own_words(tenant, reservation, guest, free_text)
    composed = _compose_from_template(
        tenant, reservation, guest, trigger, issue_feedback_link, room_numbers
    )
    if not automated:
        return composed
    return Composed(
        text=with_opt_out_line(tenant, composed.text, composed.language),
        language=composed.language,
        template=composed.template,
    )


def opt_out_line(tenant: Tenant, language: str) -> str:
    """The opt-out line in `language` (English where Innbox has no translation); "" when the
    hotel switched it off."""
    if not tenant.opt_out_line:
        return ""
    with translation.override(primary_language(language) or "en"):
        return gettext(OPT_OUT_LINE)


def with_opt_out_line(tenant: Tenant, text: str, language: str) -> str:
    line = opt_out_line(tenant, language)
    return f"{text.rstrip()}\n\n{line}" if line else text


def _compose_own_words(
    tenant: Tenant, reservation: Reservation | None, guest: Guest | None, free_text: str
) -> Composed:
    """Staff's own words, with the variables filled in, in the guest's language."""
    if not free_text.strip():
        raise NothingToSend(gettext_noop("Write a message, or choose a template."))
    language = (guest.language if guest else "") or tenant.default_language
    renderer.validate(free_text, "manual")
    values = values_for(tenant, reservation, guest, language, content=free_text)
    text = renderer.render(free_text, values)
    return Composed(text=text, language=language, template=None)


def _compose_from_template(
    tenant: Tenant,
    reservation: Reservation | None,
    guest: Guest | None,
    trigger: str,
    issue_feedback_link: bool,
    room_numbers: Sequence[str],
) -> Composed:
    """The trigger's template in the guest's language (or the hotel's), variables filled in."""
    guest_language = guest.language if guest else ""
    # "Off" stops a template's automatic sends; staff may still send it by hand.
    template = (
        MessageTemplate.objects.filter(tenant=tenant, trigger=trigger)
        .prefetch_related("variants")
        .first()
    )
    if template is None:
        raise NothingToSend(gettext_noop("There is no %(trigger)s template."), trigger=trigger)
    variant = choose_variant(template, guest_language, tenant.default_language)
    if variant is None:
        raise NothingToSend(
            gettext_noop("The %(trigger)s template has no active language variant."),
            trigger=trigger,
        )
    feedback_link = ""
    if "feedbackLink" in renderer.placeholders(variant.content):
        feedback_link = _feedback_link(reservation, issue_feedback_link)
    values = values_for(
        tenant,
        reservation,
        guest,
        variant.language_code,
        feedback_link,
        room_numbers,
        content=variant.content,
    )
    return Composed(
        text=renderer.render(variant.content, values),
        language=variant.language_code,
        template=template,
    )


def _feedback_link(reservation: Reservation | None, issue: bool) -> str:
    """A real link for a message that goes out; a placeholder for a preview (none is made)."""
    if not issue:
        return f"{settings.APP_URL}/feedback/…"
    if reservation is None:
        raise NothingToSend(
            gettext_noop("A feedback link belongs to a stay: choose the reservation.")
        )
    return FEEDBACK_LINK_ISSUER[0](reservation) if FEEDBACK_LINK_ISSUER else ""


def send_manual(
    tenant: Tenant,
    *,
    reservation: Reservation | None,
    guest: Guest | None,
    trigger: str = "",
    free_text: str = "",
    author: Any = None,
    chat_id: str = "",
) -> MessageLog:
    """Queue a message that staff wrote or chose: composed now (the text they previewed), sent by
    the worker, where the hotel's rate limit defers it instead of refusing it and a crash cannot
    lose it. The log row and its job are written together. `chat_id` without a guest: the
    inbox answering a number that matches no guest."""
    guest = guest or (reservation.guest if reservation else None)
    if guest is None and not e164_from_chat_id(chat_id):
        # No guest, and a chat whose number WhatsApp hides (@lid): nothing to send it to.
        raise NothingToSend(gettext_noop("This guest has no phone number."))
    if guest is not None and not guest.phone_e164 and not chat_id:
        raise NothingToSend(gettext_noop("This guest has no phone number."))
    if guest is not None and guest.opted_out_at and not answers_the_guest(guest):
        raise NothingToSend(gettext_noop("This guest opted out of WhatsApp messages."))
    composed = compose(
        tenant,
        reservation=reservation,
        guest=guest,
        trigger=trigger,
        free_text=free_text,
        issue_feedback_link=True,
    )
    with acting_for_tenant(tenant.id, role="staff"):
        message = _queue_send(
            tenant,
            guest,
            reservation,
            composed.text,
            composed.language,
            template=composed.template,
            # The template it used, if any, beside "manual" on Automation.
            job_payload={"template": trigger},
            author=author,
            chat_id=chat_id,
        )
        if author is not None:
            for listener in STAFF_SEND_LISTENERS:
                listener(tenant, message, author)
    log.info("manual_send_queued", reservation_id=reservation.pk if reservation else None)
    return message


def send_agent_reply(
    tenant: Tenant,
    *,
    guest: Guest | None,
    reservation: Reservation | None,
    chat_id: str,
    text: str,
    language: str,
    idempotency_key: str,
) -> MessageLog:
    """Queue the concierge's answer to a guest's turn (conversations): sent like staff's message,
    and held back at send time by the send guards if people took the conversation over."""
    return _queue_send(
        tenant,
        guest,
        reservation,
        text,
        language,
        job_payload={},
        idempotency_key=idempotency_key,
        origin=MessageOrigin.AGENT,
        chat_id=chat_id,
    )


def send_service_reply(
    tenant: Tenant,
    *,
    guest: Guest,
    reservation: Reservation | None,
    text: str,
    language: str,
    confirms_opt_out: bool,
    idempotency_key: str,
) -> MessageLog:
    """Queue Innbox's own answer to a guest's command (the opt-out and opt-in confirmations):
    sent by the worker like a manual message. The confirmation of an opt-out is the one message
    an opted-out guest still gets (its job says so); the key makes it once per command."""
    return _queue_send(
        tenant,
        guest,
        reservation,
        text,
        language,
        job_payload={CONFIRMS_OPT_OUT: confirms_opt_out},
        idempotency_key=idempotency_key,
    )


def _queue_send(
    tenant: Tenant,
    guest: Guest | None,
    reservation: Reservation | None,
    text: str,
    language: str,
    *,
    template: MessageTemplate | None = None,
    job_payload: dict[str, Any],
    idempotency_key: str | None = None,
    origin: str = MessageOrigin.MANUAL,
    author: Any = None,
    chat_id: str = "",
) -> MessageLog:
    """The queued log row and its send job ("manual" on Automation), written together. The row
    names its chat from the start, so it shows in the conversation while it waits."""
    message = MessageLog.objects.create(
        tenant=tenant,
        direction=Direction.OUTBOUND,
        guest=guest,
        reservation=reservation,
        template=template,
        origin=origin,
        author=author,
        language_code=language,
        body=text,
        chat_id=chat_id or (_chat_for(tenant, guest.phone_e164) if guest else ""),
        status=MessageStatus.QUEUED,
    )
    message.job = queue.enqueue(
        tenant,
        JobKind.SEND_MESSAGE,
        {"message": message.pk, "trigger": "manual", **job_payload},
        reservation_id=reservation.pk if reservation else None,
        idempotency_key=idempotency_key,
    )
    message.save(update_fields=["job", "updated_at"])
    return message


ATTEMPT_FIELDS = ["status", "failure_reason", "send_started_at", "chat_id", "updated_at"]


def begin_attempt(tenant: Tenant, message: MessageLog, phone: str) -> None:
    """Mark (unsaved) that an attempt to send begins now, saved with ATTEMPT_FIELDS before the
    call: a retry then settles it first (messaging.jobs)."""
    message.status, message.failure_reason = MessageStatus.QUEUED, ""
    message.send_started_at = timezone.now()
    # The chat this attempt writes to (named when it was queued, for the conversation staff
    # saw): a retry settles it there even if the guest's number changes in the PMS meanwhile.
    message.chat_id = message.chat_id or _chat_for(tenant, phone)


def deliver(
    tenant: Tenant,
    message: MessageLog,
    phone: str,
    *,
    reservation: Reservation | None = None,
    hold: sender.Hold | None = None,
    service: bool = False,
    reserved: pacing.Reserved | None = None,
    record: sender.Record = sender.record_now,
) -> MessageLog:
    """Send a logged message and record what happened on it: sent with WAHA's id, or failed with
    the reason (then the IntegrationError is raised for the queue's retry policy).

    With `reserved` (pacing.reserve), the caller has begun the attempt (begin_attempt) and saved
    it in the transaction that reserved the send; without, it is begun and saved here. What
    happened is written through `record`: at once, or with the job's outcome. `service`: an
    answer to the guest's own message, which a number that refused messages still gets."""
    if reserved is None:
        begin_attempt(tenant, message, phone)
        with acting_for_tenant(tenant.id):
            message.save(update_fields=ATTEMPT_FIELDS)
    try:
        sent = sender.send_text(
            tenant,
            phone,
            message.body,
            hold=hold,
            service=service,
            reserved=reserved,
            record=record,
        )
    except IntegrationError as exc:
        message.status = MessageStatus.FAILED
        message.failure_reason = exc.message
        record(
            tenant.id,
            lambda: message.save(update_fields=["status", "failure_reason", "updated_at"]),
        )
        log.warning(
            "send_failed",
            reservation_id=reservation.pk if reservation else None,
            error=exc.message,
            error_category=ErrorCategory.RETRYABLE if exc.retryable else ErrorCategory.INTEGRATION,
        )
        raise
    _sent(message, sent)
    record(tenant.id, lambda: message.save(update_fields=SENT_FIELDS))
    log.info(
        "message_sent", reservation_id=reservation.pk if reservation else None, sandbox=sent.sandbox
    )
    return message


def _chat_for(tenant: Tenant, phone: str) -> str:
    if not phone:
        return ""
    try:
        return chat_id_for(to_e164(phone, tenant.country_code))
    except IntegrationError:
        return ""  # an invalid number: the send below fails with the reason


SENT_FIELDS = ["status", "waha_message_id", "chat_id", "sent_at", "failure_reason", "updated_at"]


def _sent(message: MessageLog, sent: sender.SentMessage) -> None:
    message.status = MessageStatus.SENT
    message.waha_message_id = sent.message_id
    message.chat_id = sent.chat_id
    message.sent_at = timezone.now()
    message.failure_reason = ""


def mark_sent(tenant: Tenant, message: MessageLog, sent: sender.SentMessage) -> None:
    _sent(message, sent)
    with acting_for_tenant(tenant.id):
        message.save(update_fields=SENT_FIELDS)
