"""Bring a hotel's guests and reservations in line with its PMS.

Each page is applied in its own transaction: a page is written whole or not at all. When a later
page fails, the pages before it stay written (they are true data, and their transitions real);
the run is marked failed with the reason, and the next sync carries on from there.

Per page of the adapter, in one transaction: one query for the reservations we know (with their
guests) and one for the other guests it names, if any; then one statement that writes the new and
changed guests, reservations and status transitions together (innbox.db_batch); then what the
listeners write. A 10,000-reservation sync is therefore a few statements per page, not per row
(bench/sync_demo.py measures it), and a pushed event a handful (pms/webhook.py).

Pages and pushed events that touch the same reservation or guest apply one after the other (on
PostgreSQL, one statement of advisory locks per page), so two PMS events for one change record
it once, and two first sightings of a stay create it once. A record the PMS stamped older than
the change applied last is ignored (Reservation.pms_changed_at).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
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
from innbox.db_batch import Batch
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
        return apply_locked(tenant, page.reservations, counts, run=run, source=source)


def lock_keys(tenant: Tenant, incoming: list[PMSReservation]) -> tuple[int, list[int]] | None:
    """The advisory locks (hotel, stripe) that keep other writers of these reservations and
    guests out until this transaction commits; None where none are needed (SQLite lets one
    writer in at a time). Sorted, so two pages take them in one order and never deadlock."""
    if connection.vendor != "postgresql" or not incoming:
        return None
    names = {f"reservation:{r.pms_id}" for r in incoming} | {
        f"guest:{r.guest.pms_id}" for r in incoming
    }
    hotel = int.from_bytes(tenant.id.bytes[:4], "big", signed=True)
    return hotel, sorted({_stripe(name) for name in names})


def _apply_one_at_a_time(tenant: Tenant, incoming: list[PMSReservation]) -> None:
    """Wait for any other transaction writing these reservations or guests (lock_keys)."""
    keys = lock_keys(tenant, incoming)
    if keys is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, stripe)) FROM unnest(%s::int[]) AS stripe",
            list(keys),
        )


def _stripe(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest()) % LOCK_STRIPES


def apply_locked(
    tenant: Tenant,
    incoming: list[PMSReservation],
    counts: Counts,
    *,
    run: SyncRun | None,
    source: str,
) -> set[str]:
    """Apply reservations inside the caller's transaction, which holds their lock_keys already
    (a page: apply_page; a pushed event: taken with the event's own row). Reads the stays and
    guests it needs (one statement, two when a guest is new to its stay), then writes everything
    in one statement (innbox.db_batch), then lets the listeners react to the transitions.
    Returns the PMS ids of the guests whose phone WhatsApp can't use."""
    latest = {reservation.pms_id: reservation for reservation in incoming}
    known = {
        r.pms_reservation_id: r
        for r in Reservation.objects.filter(tenant=tenant, pms_reservation_id__in=latest)
        .select_related("guest")
        .order_by()
    }
    changes = _PageChanges()
    # Anonymised guests (erased, or past retention) this page brings a stay Innbox has never
    # seen for: a new booking, for which the hotel holds their details again.
    returning = {r.guest.pms_id for r in incoming if r.pms_id not in known}
    guests = _upsert_guests(
        tenant, [r.guest for r in incoming], known.values(), changes, returning=returning
    )
    _upsert_reservations(tenant, latest, known, guests, changes, counts, run=run, source=source)
    _write(tenant, changes, counts, run=run, source=source)
    _record_pms_consent(incoming, guests)
    return {pms_id for pms_id, guest in guests.items() if guest.phone_unusable}


def _record_pms_consent(incoming: list[PMSReservation], guests: dict[str, Guest]) -> None:
    """A PMS that records the guest's consent to WhatsApp messages (PMSGuest.consent): noted
    once, on a guest with none yet. The PMS never withdraws it: the guest's own STOP does. (No
    statement at all on the usual event, which says nothing of consent.)"""
    now = timezone.now()
    for data in {r.guest.pms_id: r.guest for r in incoming}.values():
        guest = guests.get(data.pms_id)
        if data.consent is not True or guest is None or guest.consent_at is not None:
            continue
        if guest.anonymised_at is not None:
            continue
        guest.consent_at, guest.consent_source = now, ConsentSource.PMS
        guest.save(update_fields=["consent_at", "consent_source", "updated_at"])
        record_consent_change(guest, ConsentChange.CONSENT_GIVEN, ConsentSource.PMS, at=now)


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


@dataclass
class _PageChanges:
    """What one page writes, gathered first so that it is written in one statement."""

    new_guests: list[Guest] = field(default_factory=list)
    changed_guests: list[Guest] = field(default_factory=list)
    to_create: list[Reservation] = field(default_factory=list)
    to_update: list[Reservation] = field(default_factory=list)
    transitions: list[StatusTransition] = field(default_factory=list)


def _upsert_guests(
    tenant: Tenant,
    incoming: list[PMSGuest],
    known_stays: Iterable[Reservation],
    changes: _PageChanges,
    *,
    returning: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Guest]:
    latest = {guest.pms_id: guest for guest in incoming}  # one row per guest, the last word wins
    # The guests of the stays we know came with them; only the others are looked up.
    known: dict[str, Guest] = {}
    for stay in known_stays:
        if stay.guest.pms_guest_id in latest:
            known.setdefault(stay.guest.pms_guest_id, stay.guest)
    missing = [pms_id for pms_id in latest if pms_id not in known]
    if missing:
        known |= {
            str(g.pms_guest_id): g
            for g in Guest.objects.filter(tenant=tenant, pms_guest_id__in=missing).order_by()
        }
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
            guest = Guest(tenant=tenant, pms_guest_id=pms_id, **values)
            changes.new_guests.append(guest)
            known[pms_id] = guest
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
            changes.changed_guests.append(guest)
    return known


def _upsert_reservations(
    tenant: Tenant,
    latest: dict[str, PMSReservation],
    known: dict[str, Reservation],
    guests: dict[str, Guest],
    changes: _PageChanges,
    counts: Counts,
    *,
    run: SyncRun | None,
    source: str,
) -> None:
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
    # Each stay's guest object (a new guest's id is known only once the page is written).
    for reservation in changes.to_create + changes.to_update:
        pms_guest_id = latest[reservation.pms_reservation_id].guest.pms_id
        Reservation.guest.field.set_cached_value(reservation, guests[pms_guest_id])


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
    """Everything the page changes, in one statement; then the listeners, in the same
    transaction, so what they write (messaging's jobs) exists exactly when the transitions do."""
    batch = Batch()
    new_guests = batch.insert(changes.new_guests, key="pms_guest_id")
    batch.update(changes.changed_guests, [*GUEST_FIELDS, "anonymised_at"])
    new_stays = batch.insert(changes.to_create, key="pms_reservation_id")
    batch.update(changes.to_update, UPDATED_FIELDS)
    # A new reservation is a transition from nothing: the automations may greet it.
    firsts = [
        _transition(tenant, r, r.status, source=source, run=run, first_sighting=True)
        for r in changes.to_create
    ]
    transitions = changes.transitions + firsts
    batch.insert(transitions)
    unsaved = {id(guest): guest for guest in changes.new_guests}
    for reservation in changes.to_create + changes.to_update:
        guest = unsaved.get(id(Reservation.guest.field.get_cached_value(reservation)))
        if guest is not None:
            batch.refer(reservation, "guest", guest, new_guests)
    for transition, reservation in zip(firsts, changes.to_create, strict=True):
        batch.refer(transition, "reservation", reservation, new_stays)
    batch.execute()
    if transitions:
        counts.transitions += len(transitions)
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
