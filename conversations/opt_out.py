"""A guest's own words that stop or restart WhatsApp messages: STOP, BERHENTI, START, MULAI.

Only a message that *is* the command counts (case, accents and punctuation aside): "Stop." and
"stop promo" opt out, "don't stop the cleaning" is a request for housekeeping. The change is
recorded with the message, in the webhook's transaction, so a crash cannot lose it; the guest
gets one confirmation in their language, queued like any send (messaging.services).
"""

from __future__ import annotations

import enum
import re
import unicodedata

from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from hotel.consent import record_consent_change
from hotel.models import ConsentChange, ConsentSource, Guest
from innbox.logs import get_logger
from innbox.phones import e164_from_chat_id
from messaging import services
from messaging.models import MessageLog
from tenancy.models import Tenant
from whatsapp import sender

log = get_logger(__name__)


class Command(enum.Enum):
    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"


# Per language, each phrase as it reads once normalised (see `normalise`). A phrase may sit in
# several languages: Indonesian guests write "stop" too. Words a guest also uses for something
# else ("cancel" a booking, "end" a call) are left out: staff read those.
OPT_OUT_PHRASES: dict[str, frozenset[str]] = {
    "en": frozenset(
        {
            "stop",
            "stop all",
            "stop promo",
            "stop promos",
            "stop promotion",
            "stop promotions",
            "stop messages",
            "stop messaging",
            "unsubscribe",
            "opt out",
            "optout",
        }
    ),
    "id": frozenset(
        {
            "stop",
            "stop promo",
            "berhenti",
            "berhenti promo",
            "berhenti langganan",
            "berhenti berlangganan",
            "stop langganan",
            "jangan kirim lagi",
            "jangan kirim pesan lagi",
        }
    ),
}
OPT_IN_PHRASES: dict[str, frozenset[str]] = {
    "en": frozenset({"start", "unstop", "subscribe", "opt in", "optin", "resume"}),
    "id": frozenset({"start", "mulai", "mulai lagi", "langganan", "berlangganan"}),
}

CONFIRMATIONS = {
    Command.OPT_OUT: gettext_noop(
        "You will receive no more messages from us on WhatsApp. Reply START to receive them again."
    ),
    Command.OPT_IN: gettext_noop(
        "You will receive our messages on WhatsApp again. Reply STOP to stop them."
    ),
}
_NOT_A_LETTER_OR_DIGIT = re.compile(r"[^\w]+|_")


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces: "¡STÓP!" -> "stop"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_A_LETTER_OR_DIGIT.sub(" ", bare.casefold()).split())


def command_for(tenant: Tenant, text: str) -> tuple[Command, set[str]] | None:
    """command_in, with the hotel's own opt-out words too (Tenant.opt_out_words)."""
    found = command_in(text)
    if found is not None:
        return found
    extra = {normalise(word) for word in tenant.opt_out_words.splitlines() if word.strip()}
    if normalise(text) in extra:
        return Command.OPT_OUT, {tenant.default_language or "en"}
    return None


def command_in(text: str) -> tuple[Command, set[str]] | None:
    """The command a whole message gives, with the languages it is a phrase of; None when the
    message is anything else (a word inside a sentence is not a command)."""
    phrase = normalise(text)
    for command, phrases in ((Command.OPT_OUT, OPT_OUT_PHRASES), (Command.OPT_IN, OPT_IN_PHRASES)):
        languages = {language for language, words in phrases.items() if phrase in words}
        if languages:
            return command, languages
    return None


def _number_without_guest(tenant: Tenant, message: MessageLog, command: Command) -> None:
    """A number that matches no guest says STOP (or START): the transport remembers it, so a
    guest record made for it later (the PMS, or staff in the inbox) gets nothing it refused."""
    number = e164_from_chat_id(message.chat_id)
    if not number:
        return
    if command is Command.OPT_OUT:
        sender.refuse(tenant, number, "an unknown number wrote STOP")
    else:
        sender.accept(tenant, number)


def apply(tenant: Tenant, message: MessageLog) -> Command | None:
    """Act on a new guest message that is an opt-out or opt-in command: record the change on the
    guest at once and queue its confirmation. Only a change is confirmed: a second STOP from a
    guest already opted out sends nothing more."""
    found = command_for(tenant, message.body)
    guest = message.guest
    if found is None:
        return None
    if guest is None:
        _number_without_guest(tenant, message, found[0])
        return None
    command, languages = found
    now = timezone.now()
    # Conditional update: two STOPs in flight at once change (and confirm) once.
    if command is Command.OPT_OUT:
        changed = Guest.objects.filter(pk=guest.pk, opted_out_at__isnull=True).update(
            opted_out_at=now, updated_at=now
        )
    else:
        changed = Guest.objects.filter(pk=guest.pk, opted_out_at__isnull=False).update(
            opted_out_at=None, updated_at=now
        )
    if not changed:
        return None
    guest.refresh_from_db()
    # The transport's own list too: a send that any path forgot to check stops there.
    if guest.phone_e164:
        if command is Command.OPT_OUT:
            sender.refuse(tenant, guest.phone_e164, "the guest wrote STOP")
        else:
            sender.accept(tenant, guest.phone_e164)
    language = _reply_language(tenant, guest, languages)
    with translation.override(language):
        text = gettext(CONFIRMATIONS[command])
    # The guest's history: their own words (the message) and what Innbox answered them.
    record_consent_change(
        guest,
        ConsentChange.OPTED_OUT if command is Command.OPT_OUT else ConsentChange.OPTED_IN,
        ConsentSource.GUEST_MESSAGE,
        at=now,
        text_shown=text,
        message_id=message.pk,
    )
    services.send_service_reply(
        tenant,
        guest=guest,
        reservation=message.reservation,
        text=text,
        language=language,
        confirms_opt_out=command is Command.OPT_OUT,
        idempotency_key=f"{command.value}-confirmation:{message.pk}",
    )
    log.info("guest_opt_changed", command=command.value, guest_id=guest.pk)
    return command


def _reply_language(tenant: Tenant, guest: Guest, languages: set[str]) -> str:
    """The guest's language when their word is one of it ("stop" from an Indonesian guest), else
    the language of the word they chose ("berhenti" is Indonesian whoever writes it)."""
    preferred = services.primary_language(guest.language or tenant.default_language) or "en"
    if preferred in languages:
        return preferred
    return sorted(languages)[0]
