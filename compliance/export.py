"""Everything Innbox holds about one guest, from every table of the registry
(hotel.personal_data): the JSON download and the readable page show the same sections."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Field, ForeignKey, Model
from django.utils import timezone
from django.utils.formats import date_format

from hotel.models import Guest
from hotel.personal_data import Holding, holdings
from tenancy.models import Tenant

FORMAT = "innbox-guest-data/1"


@dataclass(frozen=True)
class Section:
    """One table's rows about the guest: as plain values (`rows`) and as stored (`objects`)."""

    name: str
    fields: list[str]
    rows: list[dict[str, Any]]
    objects: list[Model]


def sections(tenant: Tenant, guest: Guest) -> list[Section]:
    """Per holding: the rows tied to the guest and the rows that name them without a link."""
    found = []
    for holding in holdings():
        # The rows a link points at come with them: one query per table, not one per row.
        links = [
            name
            for name in holding.export
            if isinstance(holding.model._meta.get_field(name), ForeignKey)
        ]
        rows = list(holding.rows_of(tenant.id, [guest.pk]).select_related(*links).order_by("pk"))
        linked = {row.pk for row in rows}
        rows += [
            row for row in holding.rows_naming(tenant.id, guest).select_related(*links)
            .order_by("pk") if row.pk not in linked
        ]  # fmt: skip
        found.append(
            Section(
                name=holding.name,
                fields=list(holding.export),
                rows=[_values(holding, row) for row in rows],
                objects=rows,
            )
        )
    return found


def as_json(tenant: Tenant, guest: Guest) -> dict[str, Any]:
    """The download: the guest's own row as an object, every other table as a list of rows."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "hotel": tenant.name,
        "exported_at": timezone.now().isoformat(),
    }
    for section in sections(tenant, guest):
        if section.name == "guest":
            document["guest"] = section.rows[0] if section.rows else {}
        else:
            document[section.name] = section.rows
    return document


def _values(holding: Holding, row: Model) -> dict[str, Any]:
    return {name: _plain(row, row._meta.get_field(name)) for name in holding.export}


def _plain(row: Model, field: Any) -> Any:
    """A JSON-safe value; a link to another row is that row's public id (integer keys never
    leave the server)."""
    if isinstance(field, ForeignKey):
        related = getattr(row, field.name)
        return (
            str(related.public_id)
            if related is not None and hasattr(related, "public_id")
            else None
        )
    value = getattr(row, field.attname) if isinstance(field, Field) else None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def readable(row: Model, name: str, zone: ZoneInfo) -> str:
    """A value as a person reads it: times in the hotel's zone, choices by their label, a link
    to another row by the start of its reference."""
    field = row._meta.get_field(name)
    if isinstance(field, ForeignKey):
        related = getattr(row, name)
        reference = getattr(related, "public_id", None)
        return str(reference)[:8] if reference is not None else "–"
    value = getattr(row, field.attname)  # type: ignore[union-attr]
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if name == "public_id":
        return str(value)[:8]
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))  # type: ignore[union-attr]
    if isinstance(value, dt.datetime):
        return date_format(value.astimezone(zone), "j M Y, H:i")
    if isinstance(value, dt.date):
        return date_format(value, "j M Y")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
