"""How the inbox names things: who a conversation is with, who holds it, who wrote a message,
what an event line says, and times the way a chat app shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers
from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from conversations import services
from conversations.models import Conversation, ConversationNote, Holder
from messaging import formatting
from messaging.models import MessageLog, MessageOrigin, Trigger

register = template.Library()
NOT_SENT = "Not sent: "
# What the webhook and the worker store on a message that failed (in English): marked here so the
# catalogue carries them, and failure_text shows them in the reader's language.
KNOWN_FAILURES = (
    gettext_noop("WhatsApp reported an error delivering this message"),
    gettext_noop("An unexpected error stopped the send; Retry it on Automation."),
)


@register.filter
def pretty_phone(e164: str) -> str:
    """+6281234560001 -> +62 812-3456-0001: a number staff can read at a glance."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def conversation_name(conversation: Conversation) -> str:
    """The guest's name; for a number that matches no guest, the name WhatsApp gave, else the
    number itself (never the raw chat id)."""
    if conversation.guest_id and conversation.guest and conversation.guest.full_name:
        return conversation.guest.full_name
    if conversation.contact_name:
        return conversation.contact_name
    if conversation.phone_e164:
        return pretty_phone(conversation.phone_e164)
    return conversation.chat_id.split("@", 1)[0]


@register.filter
def holder_label(conversation: Conversation) -> str:
    if conversation.holder == Holder.AGENT:
        return _("Concierge")
    if conversation.held_by_id is None:
        return _("Hotel's phone")
    return staff_name(conversation.held_by)


@register.filter
def staff_name(user: Any) -> str:
    return services.display_name(user)


@register.filter
def written_by(message: MessageLog) -> str:
    """Who wrote an outbound message: an automation (and which), the concierge, someone on the
    hotel's phone, or the staff member who sent it."""
    if message.origin in Trigger.values:
        return _("Automation · %(trigger)s") % {"trigger": Trigger(message.origin).label}
    if message.origin == MessageOrigin.AGENT:
        return _("Concierge")
    if message.origin == MessageOrigin.HOTEL_PHONE:
        return _("Hotel's phone")
    if message.author_id is not None and message.author is not None:
        return staff_name(message.author)
    return "Innbox"


@register.filter
def event_text(note: ConversationNote) -> str:
    """An event line is a msgid and its values: shown in the reader's language."""
    try:
        return _(note.body) % (note.params or {})
    except (KeyError, TypeError, ValueError):
        return note.body


@register.filter
def failure_text(reason: str) -> str:
    """A failure as the worker stored it (English); a skip reason it knows, translated."""
    if reason.startswith(NOT_SENT):
        return _("Not sent: %(reason)s") % {"reason": _(reason[len(NOT_SENT) :])}
    return _(reason) if reason else ""


@register.filter
def whatsapp(text: str) -> SafeString:
    """*bold*, _italic_, ~strike~ and ```mono``` as WhatsApp shows them; everything escaped."""
    return formatting.to_html(text or "")


@register.filter
def inbox_time(moment: dt.datetime | None) -> str:
    """A list row's time: 14:05 today, "Yesterday", a weekday this week, else the date."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    days = (timezone.localdate() - local.date()).days
    if days <= 0:
        return date_format(local, "H:i")
    if days == 1:
        return _("Yesterday")
    if days < 7:
        return date_format(local, "l")
    return date_format(local, "j M")


@register.filter
def thread_day(moment: dt.datetime) -> str:
    """The day separator of a thread: "Today", "Yesterday", else the full date."""
    local = timezone.localtime(moment)
    days = (timezone.localdate() - local.date()).days
    if days == 0:
        return _("Today")
    if days == 1:
        return _("Yesterday")
    return date_format(local, "l, j F Y")


@register.filter
def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()
