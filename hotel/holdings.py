"""The personal data of hotel's own tables and of those of the apps below it (automation, whatsapp
and tenancy know no guest, so hotel declares their tables for them). Registered in
HotelConfig.ready."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from automation.models import AutomationJob, InboundEvent
from hotel.models import ConsentEvent, Guest, Reservation, StatusTransition
from hotel.personal_data import Holding, register
from innbox.phones import chat_id_for, e164_from_chat_id
from tenancy.models import AuditEntry
from whatsapp.models import RefusedNumber


def guest_chats(guest: Guest) -> set[str]:
    """The WhatsApp chats the guest writes from: the one on their row, and their number's."""
    chats = {guest.whatsapp_chat_id}
    if guest.phone_e164:
        chats.add(chat_id_for(guest.phone_e164))
    chats.discard("")
    return chats


def guest_numbers(guest: Guest) -> set[str]:
    """The guest's numbers in E.164: their own, and their chat's (when it is a number)."""
    numbers = {guest.phone_e164, *(e164_from_chat_id(chat) or "" for chat in guest_chats(guest))}
    numbers.discard("")
    return numbers


def guest_identifiers(guest: Guest) -> list[str]:
    """What a raw payload would name this guest by: their numbers, chats, email and PMS id,
    each as a whole JSON string (so +62812345 never matches +628123456)."""
    chats = {guest.whatsapp_chat_id}
    if guest.phone_e164:
        chats.add(chat_id_for(guest.phone_e164))
    values = {guest.phone_e164, guest.phone_raw, guest.email, guest.pms_guest_id or "", *chats}
    return sorted(json.dumps(value) for value in values if value and value.strip())


def _events_naming(rows: QuerySet[Any], guest: Guest) -> QuerySet[Any]:
    patterns = guest_identifiers(guest)
    if not patterns:
        return rows.none()
    # A WhatsApp message id embeds the sender's chat ("false_6281…@c.us_3EB0…").
    chats = [p.strip('"') for p in patterns if p.endswith('@c.us"')]
    found = Q()
    for pattern in patterns:
        found |= Q(payload_text__contains=pattern)
    for chat in chats:
        found |= Q(event_id__contains=chat)
    return rows.annotate(payload_text=Cast("payload", TextField())).filter(found)


def _refusals_of(rows: QuerySet[Any], guest: Guest) -> QuerySet[Any]:
    numbers = guest_numbers(guest)
    return rows.filter(phone_e164__in=numbers) if numbers else rows.none()


def _audit_entries_about(rows: QuerySet[Any], guest: Guest) -> QuerySet[Any]:
    """The audit log's lines about the guest (an export, an erasure, a consent entered by hand):
    they name the guest's row, and describe it by its public id only."""
    return rows.filter(
        content_type=ContentType.objects.get_for_model(Guest), object_pk=str(guest.pk)
    )


def erased_event_id(event: InboundEvent) -> str:
    """Unique as before (the table's unique key), and no longer naming the sender's chat."""
    return "erased:" + hashlib.sha256(event.event_id.encode()).hexdigest()


def register_holdings() -> None:
    register(
        Holding(
            model=Guest,
            name="guest",
            guest="",
            export=[
                "public_id",
                "pms_guest_id",
                "first_name",
                "last_name",
                "phone_e164",
                "phone_raw",
                "email",
                "country_code",
                "language",
                "tier",
                "points",
                "whatsapp_chat_id",
                "consent_at",
                "consent_source",
                "opted_out_at",
                "created_at",
            ],
            erase={
                "first_name": "",
                "last_name": "",
                "phone_e164": "",
                "phone_raw": "",
                "email": "",
                "whatsapp_chat_id": "",
            },
            keep={
                "pms_guest_id": "the PMS's own key: a later sync finds the anonymised guest "
                "instead of importing them again",
            },
        )
    )
    register(
        Holding(
            model=Reservation,
            name="reservations",
            guest="guest",
            export=[
                "public_id",
                "pms_reservation_id",
                "booking_code",
                "room_number",
                "room_type",
                "check_in",
                "check_out",
                "adults",
                "children",
                "amount",
                "currency",
                "source",
                "status",
                "departed_at",
                "created_at",
            ],
            keep={
                "booking_code": "the PMS's reference, kept with the stay's dates and status "
                "for the hotel's counts",
            },
        )
    )
    register(
        Holding(
            model=StatusTransition,
            name="stay_changes",
            guest="reservation__guest",
            export=["reservation", "from_status", "to_status", "occurred_at", "source"],
        )
    )
    register(
        Holding(
            model=ConsentEvent,
            name="consent_history",
            guest="guest",
            export=["occurred_at", "change", "source", "message", "text_shown", "note"],
            erase={"note": ""},
            keep={"text_shown": "the hotel's own words shown to the guest: proof of what they "
                  "agreed to or refused"},
        )
    )  # fmt: skip
    register(
        Holding(
            model=InboundEvent,
            name="webhook_events",
            guest=None,
            export=["source", "event_type", "received_at", "payload"],
            erase={"payload": {}, "event_id": erased_event_id},
            mentions=_events_naming,
            unlinked_age="received_at",
            done=Q(event_id__startswith="erased:"),
        )
    )
    register(
        Holding(
            model=AutomationJob,
            name="automation_jobs",
            guest="reservation__guest",
            export=["kind", "status", "run_at", "finished_at", "reservation"],
            # An error may quote what WAHA or the PMS said about the guest's number.
            erase={"last_error": "", "error_history": []},
            keep={"payload": "ids, trigger names and results: nothing about the person"},
            unlinked_age="created_at",
        )
    )
    register(
        Holding(
            model=RefusedNumber,
            name="refused_numbers",
            guest=None,
            export=["phone_e164", "reason", "created_at"],
            # Nothing here is erased: see docs/compliance.md ("Numbers that said STOP").
            keep={
                "phone_e164": "a number that said STOP: the suppression list that keeps the "
                "hotel from writing to it again, erasure and retention included; it goes when "
                "the number asks for messages again (START)",
            },
            mentions=_refusals_of,
        )
    )
    register(
        Holding(
            model=AuditEntry,
            name="audit_log",
            guest=None,
            export=["event", "timestamp", "additional_data"],
            # Nothing here is erased: the audit log is the hotel's record of what its people did
            # (an erasure itself among them); row-level security lets no one change a line.
            keep={
                "object_repr": "the guest's public id, never their name (compliance.permissions)",
                "additional_data": "the form of an export or the kind of a consent change",
                "serialized_data": "unused for guests: their rows are not tracked (tenancy.audit)",
                "changes_text": "unused for guests: their rows are not tracked (tenancy.audit)",
                "changes": "unused for guests: their rows are not tracked (tenancy.audit)",
                "actor_email": "the hotel's staff member who acted, not the guest",
            },
            mentions=_audit_entries_about,
        )
    )
