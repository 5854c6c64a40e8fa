"""The personal data of hotel's own tables and of the engine's (automation sits below hotel and
knows no guest, so hotel declares its tables for it). Registered in HotelConfig.ready."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from automation.models import AutomationJob, InboundEvent
from hotel.models import ConsentEvent, Guest, Reservation, StatusTransition
from hotel.personal_data import Holding, register
from innbox.phones import chat_id_for


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
