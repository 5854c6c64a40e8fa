"""How the registry's tables and fields read on the guest-data pages, in the reader's language.
A table or field added later without a label here shows its own name (English)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotel.personal_data import HOLDINGS

SECTIONS: dict[str, Promise] = {
    "guest": _("Guest profile"),
    "reservations": _("Stays"),
    "stay_changes": _("Stay status changes"),
    "consent_history": _("Consent history"),
    "messages": _("WhatsApp messages"),
    "feedback": _("Feedback"),
    "room_service_orders": _("Room-service orders"),
    "housekeeping_requests": _("Housekeeping requests"),
    "automation_jobs": _("Automated messages planned"),
    "webhook_events": _("Raw events received from the PMS and WhatsApp"),
    "data_requests": _("Exports and erasures"),
    "conversations": _("Conversations"),
    "conversation_notes": _("Staff notes and the concierge's actions in conversations"),
    "conversation_events": _("What happened in conversations"),
    "draft_orders": _("Orders awaiting the guest's confirmation"),
    "refused_numbers": _("Numbers that asked for no more messages"),
    "audit_log": _("The hotel's audit log about this guest"),
}

FIELDS: dict[str, Promise] = {
    "public_id": _("Reference"),
    "pms_guest_id": _("PMS guest id"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "phone_e164": _("Phone"),
    "phone_raw": _("Phone as the PMS has it"),
    "email": _("Email"),
    "country_code": _("Country"),
    "language": _("Language"),
    "tier": _("Tier"),
    "points": _("Points"),
    "whatsapp_chat_id": _("WhatsApp chat"),
    "consent_at": _("Consent given"),
    "consent_source": _("Consent source"),
    "opted_out_at": _("Opted out"),
    "created_at": _("Recorded"),
    "pms_reservation_id": _("PMS reservation id"),
    "booking_code": _("Booking"),
    "room_number": _("Room"),
    "room_type": _("Room type"),
    "check_in": _("Check-in"),
    "check_out": _("Check-out"),
    "adults": _("Adults"),
    "children": _("Children"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "source": _("Source"),
    "status": _("Status"),
    "departed_at": _("Left"),
    "reservation": _("Stay"),
    "from_status": _("From"),
    "to_status": _("To"),
    "occurred_at": _("When"),
    "change": _("Change"),
    "message": _("Message"),
    "text_shown": _("Shown to the guest"),
    "note": _("Note"),
    "direction": _("Direction"),
    "origin": _("Why"),
    "language_code": _("Language"),
    "body": _("Text"),
    "sent_at": _("Sent"),
    "delivered_at": _("Delivered"),
    "read_at": _("Read"),
    "feedback_status": _("Feedback"),
    "feedback_rating": _("Rating"),
    "feedback_comments": _("Comments"),
    "feedback_submitted_at": _("Answered"),
    "items": _("Items"),
    "notes": _("Notes"),
    "request_type": _("Request"),
    "details": _("Details"),
    "kind": _("Kind"),
    "run_at": _("Planned for"),
    "finished_at": _("Finished"),
    "event_type": _("Event"),
    "received_at": _("Received"),
    "payload": _("Content"),
    "chat_id": _("WhatsApp chat"),
    "contact_name": _("WhatsApp name"),
    "last_message_at": _("Last message"),
    "last_message_preview": _("Last message's text"),
    "escalated_at": _("Passed to staff"),
    "escalation_reason": _("Why it was passed to staff"),
    "conversation": _("Conversation"),
    "params": _("Values"),
    "total": _("Total"),
    "expires_at": _("Expires"),
    "reason": _("Reason"),
    "event": _("Event"),
    "timestamp": _("When"),
    "additional_data": _("Details"),
}


def section_label(name: str) -> str:
    return str(SECTIONS.get(name, name.replace("_", " ")))


def field_label(section: str, name: str) -> str:
    if name in FIELDS:
        return str(FIELDS[name])
    holding = HOLDINGS.get(section)
    field = holding.model._meta.get_field(name) if holding is not None else None
    return str(getattr(field, "verbose_name", name))
