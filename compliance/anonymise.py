"""Anonymising guests: every table of the registry (hotel.personal_data), walked the same way
by an owner's erasure and by the retention purge.

A guest's rows stay, so the hotel's counts, statuses and ratings add up as before; what names
or reaches the person (names, numbers, chats, email, the words of messages, notes, comments)
is replaced as each table's holding says. Call inside the hotel's context (a request, or
`acting_for_tenant`): row-level security lets nothing else through on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from automation import queue
from automation.models import AutomationJob
from compliance.models import DataRequest, RequestKind
from hotel.models import Guest
from hotel.personal_data import Holding, holdings
from innbox.logs import get_logger
from tenancy.models import Tenant, User

log = get_logger(__name__)
Counts = dict[str, int]
# Rows computed one by one (a JSON kept in part, a unique id) are written in chunks of this.
CHUNK = 500
ERASED_REASON = "the guest's personal data was erased"


def anonymise_guests(
    tenant: Tenant, guest_ids: list[int], *, dry_run: bool, now: dt.datetime | None = None
) -> Counts:
    """Anonymise these guests in every table that holds something about them; returns the rows
    changed (or, in a dry run, that would change) per table. Their jobs still waiting are
    cancelled first: a message composed for nobody can only fail."""
    counts: Counts = {}
    if not guest_ids:
        return counts
    now = now or timezone.now()
    if not dry_run:
        # A stay's automated messages, and sends by hand (tied to the guest by their message).
        queue.cancel_waiting(
            AutomationJob.objects.filter(
                Q(reservation__guest_id__in=guest_ids) | Q(messages__guest_id__in=guest_ids),
                tenant=tenant,
            ).distinct(),
            ERASED_REASON,
        )
    for holding in holdings():
        if not holding.erase:
            continue
        rows = holding.still_personal(holding.rows_of(tenant.id, guest_ids))
        counts[holding.name] = rows.count() if dry_run else replace(holding, rows, now)
    if not dry_run:
        Guest.objects.filter(tenant=tenant, pk__in=guest_ids).update(
            anonymised_at=now, updated_at=now
        )
    return counts


def replace(holding: Holding, rows: QuerySet[Any], now: dt.datetime) -> int:
    """Write the holding's replacements into `rows`; returns how many rows changed."""
    fixed = {name: value for name, value in holding.erase.items() if not callable(value)}
    computed = {name: value for name, value in holding.erase.items() if callable(value)}
    if _has_field(holding.model, "updated_at"):
        fixed["updated_at"] = now
    if not computed:
        return rows.update(**fixed)
    changed = 0
    pks = list(rows.values_list("pk", flat=True))
    for start in range(0, len(pks), CHUNK):
        batch = list(holding.model._default_manager.filter(pk__in=pks[start : start + CHUNK]))
        for row in batch:
            for name, value in fixed.items():
                setattr(row, name, value)
            for name, make in computed.items():
                setattr(row, name, make(row))
        holding.model._default_manager.bulk_update(batch, [*fixed, *computed])
        changed += len(batch)
    return changed


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def rows_naming(tenant: Tenant, guest: Guest) -> dict[str, list[int]]:
    """Per table, the rows tied to no guest that name this one (searched by their numbers, chat
    and email, so before the guest's own row is anonymised)."""
    found = {}
    for holding in holdings():
        if holding.mentions is not None and holding.erase:
            pks = list(holding.rows_naming(tenant.id, guest).values_list("pk", flat=True))
            if pks:
                found[holding.name] = pks
    return found


def erase_guest(tenant: Tenant, guest: Guest, *, by: User) -> DataRequest:
    """An owner's erasure: the guest anonymised everywhere, including rows that name them
    without a link (an unmatched message from their number, a webhook's raw payload), and the
    request recorded with its counts."""
    now = timezone.now()
    naming = rows_naming(tenant, guest)
    counts = anonymise_guests(tenant, [guest.pk], dry_run=False, now=now)
    by_name = {holding.name: holding for holding in holdings()}
    for name, pks in naming.items():
        holding = by_name[name]
        rows = holding.still_personal(holding.model._default_manager.filter(pk__in=pks))
        counts[name] = counts.get(name, 0) + replace(holding, rows, now)
    log.info("guest_erased", guest_id=guest.pk, tables=_nonzero(counts))
    return DataRequest.objects.create(
        tenant=tenant,
        kind=RequestKind.ERASURE,
        guest=guest,
        requested_by=by,
        created_at=now,
        details={"tables": _nonzero(counts)},
    )


def would_erase(tenant: Tenant, guest: Guest) -> Counts:
    """What an erasure of this guest would change, per table (for the confirmation page)."""
    counts = anonymise_guests(tenant, [guest.pk], dry_run=True)
    for name, pks in rows_naming(tenant, guest).items():
        counts[name] = counts.get(name, 0) + len(pks)
    return _nonzero(counts)


def _nonzero(counts: Counts) -> Counts:
    return {name: count for name, count in sorted(counts.items()) if count}


def add(total: Counts, more: Iterable[tuple[str, int]]) -> Counts:
    for name, count in more:
        total[name] = total.get(name, 0) + count
    return total
