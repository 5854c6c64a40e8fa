"""Every table that holds something about a guest is in the personal-data registry
(hotel.personal_data), found from the models: a table added later (a conversation, its notes)
fails here until its app registers what it holds and what anonymising it means."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import models

from hotel.models import Guest, Reservation
from hotel.personal_data import Holding, holdings, holdings_of
from tests.helpers import innbox_apps

# Field names that hold, or may hold, what identifies a person or what they said.
PERSONAL = re.compile(
    r"first_name|last_name|full_name|guest_name|push_name|phone|e164|email|chat_id|body|note"
    r"|comment|details|payload|address|passport|birth"
)
# Personal data, but not about guests: outside the guest registry on purpose.
NOT_ABOUT_GUESTS = {
    "tenancy.User": "the hotel's own people: their login",
    "tenancy.Invitation": "the address a staff member was invited at",
    "whatsapp.WahaConfiguration": "the hotel's own WhatsApp number and profile name",
}

# Named like personal data, and not.
NOT_PERSONAL_FIELDS = {
    "pms.SyncRun.unusable_phones": "how many guests had one: a count",
    "conversations.SavedReply.body": "the hotel's canned answer, written by staff for every "
    "guest: its variables ({{guestName}}) are filled in the message sent, never here",
}


def our_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in innbox_apps()]


def about_guests() -> set[type[models.Model]]:
    """Guests, stays, and every model that points at them, however many links away."""
    found: set[type[models.Model]] = {Guest, Reservation}
    grew = True
    while grew:
        grew = False
        for model in our_models():
            if model in found:
                continue
            if any(
                field.is_relation and field.concrete and field.related_model in found
                for field in model._meta.get_fields()
            ):
                found.add(model)
                grew = True
    return found


def named_personal(field: models.Field) -> bool:
    label = f"{field.model._meta.label}.{field.name}"
    return bool(PERSONAL.search(field.name)) and label not in NOT_PERSONAL_FIELDS


def looks_personal(field: models.Field) -> bool:
    return isinstance(field, models.TextField | models.JSONField) or named_personal(field)


def candidates() -> list[type[models.Model]]:
    """Models tied to guests, and any model with a field named like personal data."""
    named = {m for m in our_models() if any(named_personal(f) for f in m._meta.concrete_fields)}
    return sorted(
        (m for m in about_guests() | named if m._meta.label not in NOT_ABOUT_GUESTS),
        key=lambda m: m._meta.label,
    )


def uncovered_fields(model: type[models.Model]) -> list[str]:
    """The model's free-text, JSON and personal-looking fields (any of them may hold what a
    guest wrote) that no holding erases or keeps with a reason."""
    declared: set[str] = set()
    for holding in holdings_of(model):
        declared |= set(holding.erase) | set(holding.keep)
    guest_fields = {"guest", "reservation", "tenant"}
    return sorted(
        f.name
        for f in model._meta.concrete_fields
        if f.attname.removesuffix("_id") not in guest_fields
        and looks_personal(f)
        and f.name not in declared
    )


def test_it_finds_the_tables_we_know_hold_guests_data() -> None:
    labels = {m._meta.label for m in candidates()}
    assert {
        "hotel.Guest",
        "hotel.Reservation",
        "hotel.ConsentEvent",
        "messaging.MessageLog",
        "agent.RoomServiceOrder",
        "agent.HousekeepingRequest",
        "automation.InboundEvent",
        "automation.AutomationJob",
        "compliance.DataRequest",
        "conversations.Conversation",
        "conversations.ConversationNote",
        "agent.PendingOrder",
        "whatsapp.RefusedNumber",
    } <= labels


@pytest.mark.parametrize("model", candidates(), ids=lambda m: m._meta.label)
def test_every_table_about_guests_is_in_the_registry(model: type[models.Model]) -> None:
    assert holdings_of(model), (
        f"{model._meta.label} holds guests' data but no app registered it "
        "(hotel.personal_data.register in its AppConfig.ready)"
    )
    assert uncovered_fields(model) == [], (
        f"{model._meta.label}: say what anonymising does to these fields (Holding.erase) or "
        "why they stay (Holding.keep)"
    )


def test_every_holding_reaches_its_guest_or_says_how_it_finds_them() -> None:
    for holding in holdings():
        assert holding.guest is not None or holding.mentions is not None, holding.name
        assert holding.export, f"{holding.name}: the export shows nothing of it"


def test_a_holding_naming_a_field_its_table_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no field"):
        Holding(model=Guest, name="x", guest="", export=["shoe_size"])
