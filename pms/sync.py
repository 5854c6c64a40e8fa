"""Bring a hotel's guests and reservations in line with its PMS.

Each page is applied in its own transaction: a page is written whole or not at all. When a later
page fails, the pages before it stay written (they are true data, and their transitions real);
the run is marked failed with the reason, and the next sync carries on from there.

Per page of the adapter: one query to find the guests we know, one to find the reservations, bulk
inserts and bulk updates, and the status transitions, all in one transaction. A 10,000-reservation
sync is therefore a few queries per page, not per row (bench/sync_demo.py measures it).

Pages and pushed events that touch the same reservation or guest apply one after the other (on
PostgreSQL, one statement of advisory locks per page), so two PMS events for one change record
it once, and two first sightings of a stay create it once. A record the PMS stamped older than
the change applied last is ignored (Reservation.pms_changed_at).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from hotel import transitions as stay_transitions
from hotel.consent import record_consent_change
from hotel.models import (
    ConsentChange,
    ConsentSource,
    Guest,
    Reservation,
    ReservationStatus,
    StatusTransition,
)
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from innbox.phones import InvalidPhoneNumber, chat_id_for, to_e164
from pms.adapters.base import Page, PMSAdapter, PMSGuest, PMSReservation
from pms.models import ConnectionHealth, PMSConfiguration, SyncRun, SyncStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)

GUEST_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone_e164",
    "phone_raw",
    "country_code",
    "language",
    "tier",
    "points",
]
RESERVATION_FIELDS = [
    "guest_id", "booking_code", "room_number", "room_type", "check_in", "check_out", "adults",
    "children", "amount", "currency", "source", "status", "pms_status",
]  # fmt: skip
UPDATED_FIELDS = [*RESERVATION_FIELDS, "status_changed_at", "pms_changed_at", "departed_at"]
# Locks per hotel are taken by stripe of ids, not per id: a Mews page of 500 stays then holds at
# most this many locks, and two unrelated events share a stripe (and wait) rarely.
LOCK_STRIPES = 64


CENT = Decimal("0.01")
# reservations.amount is NUMERIC(12, 2): ten digits before the point, cents after.
AMOUNT_LIMIT = Decimal(10) ** 10


class SyncTakenOver(Exception):
    """The job running this sync lost its lease: another worker syncs now."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transitions: int = 0
    skipped: int = 0
    # Guests whose PMS phone WhatsApp can't use (each counted once per run).
    unusable_phones: int = 0
    # Older than the change applied last to their reservation: ignored.
    stale: int = 0


def sync_reservations(
    tenant: Tenant,
    adapter: PMSAdapter,
    start: dt.date,
    end: dt.date,
    *,
    trigger: str = "manual",
    still_ours: Callable[[], bool] = lambda: True,
) -> SyncRun:
    """Pull, upsert, record transitions; always leaves a SyncRun saying what happened.

    `still_ours` is asked before each page (the job's lease: a long sync renews it, and one
    taken over by another worker stops rather than run twice)."""
    with acting_for_tenant(tenant.id):
        run = SyncRun.objects.create(
            tenant=tenant,
            provider=adapter.provider,
            trigger=trigger,
            range_start=start,
            range_end=end,
        )
    counts = Counts()
    unusable_phones: set[str] = set()  # a guest with stays on two pages is one guest
    try:
        for page in adapter.pull_reservations(start, end):
            if not still_ours():
                raise SyncTakenOver("Stopped: another worker took this sync over")
            with acting_for_tenant(tenant.id):
                unusable_phones |= apply_page(
                    tenant, page, counts, run=run, source=f"sync:{adapter.provider}"
                )
            run.pages += 1
    except SyncTakenOver as stop:
        run.status, run.error = SyncStatus.FAILED, str(stop)
        log.warning("pms_sync_taken_over", provider=adapter.provider)
    except IntegrationError as exc:
        run.status, run.error = SyncStatus.FAILED, exc.message
        log.error(
            "pms_sync_failed",
            provider=adapter.provider,
            error=exc.message,
            error_category=ErrorCategory.RETRYABLE if exc.retryable else ErrorCategory.INTEGRATION,
        )
    except Exception:  # a bug or a race: the run must still end, and say so
        run.status, run.error = SyncStatus.FAILED, "Unexpected error; the log has the details"
        log.exception(
            "pms_sync_crashed", provider=adapter.provider, error_category=ErrorCategory.FATAL
        )
    else:
        run.status = SyncStatus.SUCCEEDED
    counts.unusable_phones = len(unusable_phones)
    for name in ("created", "updated", "unchanged", "transitions", "skipped", "unusable_phones"):
        setattr(run, name, getattr(counts, name))
    run.finished_at = timezone.now()
    with acting_for_tenant(tenant.id):
        run.save()
        _record_health(tenant, run)
    log.info(
        "pms_sync_finished",
        provider=adapter.provider,
        status=run.status,
        pages=run.pages,
        **counts.__dict__,
    )
    return run


def apply_page(
    tenant: Tenant, page: Page, counts: Counts, *, run: SyncRun | None, source: str
) -> set[str]:
    """Write one page; returns the PMS ids of its guests whose phone WhatsApp can't use."""
    with transaction.atomic():
        _apply_one_at_a_time(tenant, page.reservations)
        guests = _upsert_guests(tenant, page.reservations)
        _upsert_reservations(tenant, page.reservations, guests, counts, run=run, source=source)
    return {pms_id for pms_id, guest in guests.items() if guest.phone_unusable}


def _apply_one_at_a_time(tenant: Tenant, incoming: list[PMSReservation]) -> None:
    """Wait for any other transaction writing these reservations or guests, and keep them out
    until this one commits. The locks go in one order (sorted), so two pages never deadlock.
    SQLite needs none: it lets one writer in at a time."""
    if connection.vendor != "postgresql" or not incoming:
        return
    names = {f"reservation:{r.pms_id}" for r in incoming} | {
        f"guest:{r.guest.pms_id}" for r in incoming
    }
    stripes = sorted({_stripe(name) for name in names})
    hotel = int.from_bytes(tenant.id.bytes[:4], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, stripe)) FROM unnest(%s::int[]) AS stripe",
            [hotel, stripes],
        )


def _stripe(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest()) % LOCK_STRIPES


def _older(incoming: dt.datetime | None, applied: dt.datetime | None) -> bool:
    """Only two stamped changes compare; an unstamped one is applied, as it always was."""
    return incoming is not None and applied is not None and incoming < applied


def _phone(tenant: Tenant, raw: str, known: Guest | None) -> str:
    """The PMS's number in E.164; "" when it has none WhatsApp can use (phone_raw keeps its text),
    unless the guest already wrote to us from a number, which then stays."""
    if raw.strip():
        try:
            return to_e164(raw, tenant.country_code)
        except InvalidPhoneNumber:
            pass  # not stored wrong: phone_raw keeps the text and the guest is flagged
    if known is not None and _confirmed_on_whatsapp(known):
        return known.phone_e164
    return ""


def _confirmed_on_whatsapp(guest: Guest) -> bool:
    return bool(guest.phone_e164) and guest.whatsapp_chat_id == chat_id_for(guest.phone_e164)


def _upsert_guests(tenant: Tenant, stays: list[PMSReservation]) -> dict[str, Guest]:
    # One row per guest, the last word wins.
    latest: dict[str, PMSGuest] = {stay.guest.pms_id: stay.guest for stay in stays}
    known = {
        g.pms_guest_id: g for g in Guest.objects.filter(tenant=tenant, pms_guest_id__in=latest)
    }
    returning = _returning(tenant, known, stays)
    to_create, to_update = [], []
    for pms_id, data in latest.items():
        guest = known.get(pms_id)
        values = {
            "first_name": data.first_name[:100],
            "last_name": data.last_name[:100],
            "email": data.email[:254],
            "phone_e164": _phone(tenant, data.phone, guest),
            "phone_raw": data.phone.strip()[:64],
            "country_code": data.country_code[:2].upper(),
            "language": data.language[:8].lower(),
            "tier": data.tier[:32],
            "points": max(0, data.points),
        }
        if guest is None:
            to_create.append(Guest(tenant=tenant, pms_guest_id=pms_id, **values))
        elif not data.complete:
            continue  # only an id: keep the profile we have
        elif guest.anonymised_at is not None and pms_id not in returning:
            # Erased, or past the retention period: a stay Innbox knows, sent again, does not
            # bring their personal data back (docs/compliance.md).
            continue
        elif any(getattr(guest, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(guest, name, value)
            guest.anonymised_at = None  # back with a new stay: a guest again
            to_update.append(guest)
    if to_create:
        Guest.objects.bulk_create(to_create)
    if to_update:
        Guest.objects.bulk_update(to_update, [*GUEST_FIELDS, "anonymised_at"])
    created = {str(guest.pms_guest_id): guest for guest in to_create}
    guests = {**{str(k): v for k, v in known.items()}, **created}
    _record_pms_consent(latest, guests)
    return guests


def _returning(
    tenant: Tenant, known: dict[str | None, Guest], stays: list[PMSReservation]
) -> set[str]:
    """The anonymised guests this page brings a stay for that Innbox has never seen: a new
    booking, which the hotel holds their details for again."""
    anonymised = {pms_id for pms_id, guest in known.items() if guest.anonymised_at is not None}
    if not anonymised:
        return set()
    stay_guests = {s.pms_id: s.guest.pms_id for s in stays if s.guest.pms_id in anonymised}
    seen = set(
        Reservation.objects.filter(tenant=tenant, pms_reservation_id__in=stay_guests).values_list(
            "pms_reservation_id", flat=True
        )
    )
    return {guest_id for stay_id, guest_id in stay_guests.items() if stay_id not in seen}


def _record_pms_consent(latest: dict[str, PMSGuest], guests: dict[str, Guest]) -> None:
    """A PMS that records the guest's consent to WhatsApp messages (PMSGuest.consent): noted
    once, on a guest with none yet. The PMS never withdraws it: the guest's own STOP does."""
    now = timezone.now()
    for pms_id, data in latest.items():
        guest = guests.get(pms_id)
        if data.consent is not True or guest is None or guest.consent_at is not None:
            continue
        if guest.anonymised_at is not None:
            continue
        guest.consent_at, guest.consent_source = now, ConsentSource.PMS
        guest.save(update_fields=["consent_at", "consent_source", "updated_at"])
        record_consent_change(guest, ConsentChange.CONSENT_GIVEN, ConsentSource.PMS, at=now)


@dataclass
class _PageChanges:
    """What one page writes, gathered first so each kind is one bulk statement."""

    to_create: list[Reservation] = field(default_factory=list)
    to_update: list[Reservation] = field(default_factory=list)
    transitions: list[StatusTransition] = field(default_factory=list)


def _upsert_reservations(
    tenant: Tenant,
    incoming: list[PMSReservation],
    guests: dict[str, Guest],
    counts: Counts,
    *,
    run: SyncRun | None,
    source: str,
) -> None:
    latest = {reservation.pms_id: reservation for reservation in incoming}
    known = {
        r.pms_reservation_id: r
        for r in Reservation.objects.filter(tenant=tenant, pms_reservation_id__in=latest)
    }
    changes = _PageChanges()
    now = timezone.now()
    for pms_id, data in latest.items():
        if data.check_out < data.check_in:
            counts.skipped += 1
            log.warning(
                "pms_reservation_skipped", pms_id=pms_id, reason="check-out before check-in"
            )
            continue
        values = _stored_values(data, guests)
        reservation = known.get(pms_id)
        if reservation is None:
            changes.to_create.append(
                Reservation(
                    tenant=tenant,
                    pms_reservation_id=pms_id,
                    status_changed_at=now,
                    pms_changed_at=data.changed_at,
                    **values,
                )
            )
            counts.created += 1
        else:
            _update_known(
                tenant, reservation, data, values, changes, counts, run=run, source=source
            )
    _write(tenant, changes, counts, run=run, source=source)


def _update_known(
    tenant: Tenant,
    reservation: Reservation,
    data: PMSReservation,
    values: dict[str, Any],
    changes: _PageChanges,
    counts: Counts,
    *,
    run: SyncRun | None,
    source: str,
) -> None:
    """A reservation we have: stale news is ignored, the same news counted, a change applied
    (with its status transition, if the status moved)."""
    if _older(data.changed_at, reservation.pms_changed_at):
        counts.stale += 1
        log.info(
            "pms_reservation_stale",
            pms_id=reservation.pms_reservation_id,
            changed_at=str(data.changed_at),
            last_applied=str(reservation.pms_changed_at),
        )
        return
    restamped = data.changed_at is not None and data.changed_at != reservation.pms_changed_at
    if restamped:
        reservation.pms_changed_at = data.changed_at
    if all(getattr(reservation, name) == value for name, value in values.items()):
        counts.unchanged += 1
        if restamped:
            changes.to_update.append(reservation)  # the same news, newer: later ones compare to it
        return
    if reservation.status != values["status"]:
        now = timezone.now()
        changes.transitions.append(
            _transition(tenant, reservation, values["status"], source=source, run=run)
        )
        reservation.status_changed_at = now
        reservation.departed_at = (
            (data.changed_at or now) if values["status"] == ReservationStatus.CHECKED_OUT else None
        )
    for name, value in values.items():
        setattr(reservation, name, value)
    changes.to_update.append(reservation)
    counts.updated += 1


def _write(
    tenant: Tenant,
    changes: _PageChanges,
    counts: Counts,
    *,
    run: SyncRun | None,
    source: str,
) -> None:
    transitions = changes.transitions
    if changes.to_create:
        created = Reservation.objects.bulk_create(changes.to_create)
        # A new reservation is a transition from nothing: the automations may greet it.
        transitions += [
            _transition(tenant, r, r.status, source=source, run=run, first_sighting=True)
            for r in created
        ]
    if changes.to_update:
        Reservation.objects.bulk_update(changes.to_update, UPDATED_FIELDS)
    if transitions:
        StatusTransition.objects.bulk_create(transitions)
        counts.transitions += len(transitions)
        # Same transaction: what the listeners write (messaging's jobs) exists exactly when
        # the transitions do.
        stay_transitions.recorded(tenant, transitions)


def storable_amount(amount: Decimal | None, *, pms_id: str = "") -> Decimal | None:
    """The amount to the cent, or None when reservations.amount (NUMERIC(12, 2)) cannot hold it:
    one absurd amount from a PMS must not fail the page it came with."""
    if amount is None:
        return None
    if not amount.is_finite() or abs(amount) >= AMOUNT_LIMIT:
        log.warning("pms_amount_unstorable", pms_id=pms_id, amount=str(amount)[:40])
        return None
    cents = amount.quantize(CENT)
    return cents if abs(cents) < AMOUNT_LIMIT else None


def _stored_values(data: PMSReservation, guests: dict[str, Guest]) -> dict[str, Any]:
    """The reservation's fields as they will be stored (so that comparing them finds no change
    where there is none)."""
    return {
        "guest_id": guests[data.guest.pms_id].pk,
        "booking_code": data.booking_code[:32].upper(),
        "room_number": data.room_number[:16],
        "room_type": data.room_type[:100],
        "check_in": data.check_in,
        "check_out": data.check_out,
        "adults": data.adults,
        "children": data.children,
        # Stored with 2 decimals: compare what will be stored, or every sync "updates" it.
        "amount": storable_amount(data.amount, pms_id=data.pms_id),
        "currency": data.currency[:3].upper(),
        "source": data.source[:64],
        "status": data.status.value,
        "pms_status": str(data.pms_status)[:64],
    }


def _transition(
    tenant: Tenant,
    reservation: Reservation,
    to_status: str,
    *,
    source: str,
    run: SyncRun | None,
    first_sighting: bool = False,
) -> StatusTransition:
    return StatusTransition(
        tenant=tenant,
        reservation=reservation,
        from_status="" if first_sighting else reservation.status,
        to_status=to_status,
        source=source,
        sync_run=run,
    )


def _record_health(tenant: Tenant, run: SyncRun) -> None:
    config = PMSConfiguration.objects.filter(tenant=tenant).first()
    if config is None:
        return
    config.last_sync_at = run.finished_at
    if run.status == SyncStatus.SUCCEEDED:
        config.health, config.last_success_at, config.last_error = (
            ConnectionHealth.HEALTHY,
            run.finished_at,
            "",
        )
    else:
        config.health, config.last_error = ConnectionHealth.FAILING, run.error
    config.save(
        update_fields=["last_sync_at", "health", "last_success_at", "last_error", "updated_at"]
    )
