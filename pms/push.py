"""The generic push source: any PMS or middleware may POST reservation events to Innbox.

This module is the payload's schema and its mapping into the same upsert path as a pull
(pms.sync.apply_page). The signed webhook that receives it (Standard Webhooks headers, per-hotel
secret) is pms/webhook.py; docs/pms-push.md describes the payload and the answers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from django.utils import timezone
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hotel.models import ReservationStatus
from pms.adapters.base import Page, PMSGuest, PMSReservation, plausible_change_time
from pms.sync import AMOUNT_LIMIT, CENT, Counts, apply_locked, apply_page, lock_keys
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant


def _fits_the_amount_column(value: Decimal) -> Decimal:
    # Rounded only once it is known to be small: quantizing 1e30 to cents raises.
    cents = value.quantize(CENT) if abs(value) < AMOUNT_LIMIT else None
    if cents is None or abs(cents) >= AMOUNT_LIMIT:
        raise ValueError("amount must be below 10,000,000,000")
    return cents


Amount = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_fits_the_amount_column)]


class PushGuest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    country: str = Field(default="", max_length=2)
    language: str = Field(default="", max_length=8)
    # The guest agreed, in the PMS, to hear from the hotel on WhatsApp; false or absent changes
    # nothing (docs/pms-push.md).
    whatsapp_consent: bool | None = None


class PushReservation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64)
    status: Literal["pre-arrival", "on-stay", "checked-out", "cancelled", "no-show"]
    pms_status: str = Field(default="", max_length=64)
    check_in: dt.date
    check_out: dt.date
    booking_code: str = Field(default="", max_length=32)
    room_number: str = Field(default="", max_length=16)
    room_type: str = Field(default="", max_length=100)
    adults: int = Field(default=1, ge=0, le=50)
    children: int = Field(default=0, ge=0, le=50)
    amount: Amount | None = None
    currency: str = Field(default="", max_length=3)
    source: str = Field(default="", max_length=64)
    # When the PMS made this change (ISO 8601 with its offset). Optional; when given, an event
    # older than the last change applied to this reservation changes nothing.
    updated_at: AwareDatetime | None = None
    guest: PushGuest

    @model_validator(mode="after")
    def _dates_in_order(self) -> PushReservation:
        if self.check_out < self.check_in:
            raise ValueError("check_out is before check_in")
        return self

    @model_validator(mode="after")
    def _a_plausible_change_time(self) -> PushReservation:
        # "0001-01-01T00:00:00+07:00" is a moment before year 1: PostgreSQL would store it and
        # no page could read the reservation back.
        if self.updated_at is not None and plausible_change_time(self.updated_at) is None:
            raise ValueError("updated_at is not a plausible time for a change (2000 to 2099)")
        return self

    @model_validator(mode="after")
    def _not_from_the_future(self) -> PushReservation:
        # A clock far ahead would make every later, true change look older, and be ignored.
        skew = dt.timedelta(seconds=settings.PMS_WEBHOOK_TOLERANCE_SECONDS)
        if self.updated_at is not None and self.updated_at > timezone.now() + skew:
            raise ValueError("updated_at is in the future: check the PMS's clock")
        return self


class PushEvent(BaseModel):
    """{"type": "reservation.upserted", "reservation": {...}}; the event id travels in the
    webhook-id header (Standard Webhooks), not in the body."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["reservation.upserted"]
    reservation: PushReservation


def to_pms_reservation(event: PushEvent) -> PMSReservation:
    data, guest = event.reservation, event.reservation.guest
    return PMSReservation(
        pms_id=data.id,
        guest=PMSGuest(
            pms_id=guest.id,
            first_name=guest.first_name,
            last_name=guest.last_name,
            email=guest.email,
            phone=guest.phone,
            country_code=guest.country.upper(),
            language=guest.language.lower(),
            consent=guest.whatsapp_consent,
        ),
        status=ReservationStatus(data.status),
        pms_status=data.pms_status or data.status,
        check_in=data.check_in,
        check_out=data.check_out,
        booking_code=data.booking_code,
        room_number=data.room_number,
        room_type=data.room_type,
        adults=data.adults,
        children=data.children,
        amount=data.amount,
        currency=data.currency,
        source=data.source or "push",
        changed_at=data.updated_at,
    )


def apply_push(tenant: Tenant, event: PushEvent) -> Counts:
    """Upsert the pushed reservation through the same path as a sync, transitions included, in
    its own transaction (the webhook stores the event in the same one: pms.webhook.ingest)."""
    with acting_for_tenant(tenant.id):
        counts = Counts()
        unusable_phones = apply_page(
            tenant, Page(reservations=[to_pms_reservation(event)]), counts, run=None, source="push"
        )
    counts.unusable_phones = len(unusable_phones)
    return counts


def push_locks(tenant: Tenant, event: PushEvent) -> tuple[int, list[int]] | None:
    """The advisory locks applying this event needs (pms.sync.lock_keys)."""
    return lock_keys(tenant, [to_pms_reservation(event)])


def apply_push_locked(tenant: Tenant, event: PushEvent) -> Counts:
    """apply_push inside the caller's transaction, which holds push_locks already."""
    counts = Counts()
    unusable_phones = apply_locked(
        tenant, [to_pms_reservation(event)], counts, run=None, source="push"
    )
    counts.unusable_phones = len(unusable_phones)
    return counts
