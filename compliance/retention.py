"""The retention purge: guests whose last stay ended longer ago than the hotel's retention
period (tenants.retention_months, 24 by default) are anonymised, and so are rows that name
nobody Innbox knows (an unmatched message, a webhook's raw payload) once that old.

It runs once a day per hotel from the scheduler (automation.scheduler), in batches so a first
run on years of data does not hold the scheduler for long, and by hand as
`manage.py purge_personal_data [--dry-run]`. Each run that changes something, and each
scheduled run, leaves a `data_requests` row with its counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Max, Q, QuerySet

from compliance import anonymise
from compliance.models import DataRequest, RequestKind
from hotel.models import Guest
from hotel.personal_data import holdings
from innbox.logs import ErrorCategory, get_logger
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)
# Guests (and rows of each unlinked table) per scheduled batch.
BATCH = 500
# The scheduled purge runs again this long after its last complete run.
EVERY = dt.timedelta(days=1)


@dataclass
class PurgeReport:
    tenant: Tenant
    cutoff: dt.date
    guests: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    # A batch limit left work for the next run.
    more: bool = False


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier, or the month's last day (31 March - 1 month = 28/29 Feb)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def cutoff(tenant: Tenant, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first day still kept, in the hotel's calendar, and its first moment."""
    zone = ZoneInfo(tenant.time_zone)
    day = months_before(now.astimezone(zone).date(), tenant.retention_months)
    return day, dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def expired_guests(tenant: Tenant, now: dt.datetime) -> QuerySet[Guest]:
    """Guests not anonymised yet whose latest stay ended before the cutoff; a guest with no
    stay at all, once their row is that old. The planned check-out is used, which is never
    earlier than the day they actually left: the period is kept in full, never cut short."""
    day, moment = cutoff(tenant, now)
    return (
        Guest.objects.filter(tenant=tenant, anonymised_at__isnull=True)
        .annotate(last_stay_ended=Max("reservations__check_out"))
        .filter(Q(last_stay_ended__lt=day) | Q(last_stay_ended__isnull=True, created_at__lt=moment))
    )


def purge(
    tenant: Tenant, now: dt.datetime, *, dry_run: bool, limit: int | None = None
) -> PurgeReport:
    """One pass for one hotel, in one transaction of its context; `limit` caps the guests (and
    the unlinked rows per table) of this pass. A dry run changes and records nothing."""
    with acting_for_tenant(tenant.id):
        day, moment = cutoff(tenant, now)
        report = PurgeReport(tenant=tenant, cutoff=day)
        ids = list(expired_guests(tenant, now).order_by("pk").values_list("pk", flat=True))
        if limit is not None and len(ids) > limit:
            ids, report.more = ids[:limit], True
        report.guests = len(ids)
        report.tables = anonymise.anonymise_guests(tenant, ids, dry_run=dry_run, now=now)
        for holding in holdings():
            if holding.unlinked_age is None or not holding.erase:
                continue
            rows = holding.still_personal(holding.unlinked_before(tenant.id, moment))
            pks = list(rows.order_by("pk").values_list("pk", flat=True))
            if limit is not None and len(pks) > limit:
                pks, report.more = pks[:limit], True
            if pks and not dry_run:
                anonymise.replace(holding, holding.model._default_manager.filter(pk__in=pks), now)
            report.tables[holding.name] = report.tables.get(holding.name, 0) + len(pks)
        report.tables = {name: n for name, n in sorted(report.tables.items()) if n}
        if not dry_run:
            DataRequest.objects.create(
                tenant=tenant,
                kind=RequestKind.RETENTION_PURGE,
                created_at=now,
                details={
                    "guests": report.guests,
                    "tables": report.tables,
                    "cutoff": day.isoformat(),
                    "more": report.more,
                },
            )
    log.info(
        "retention_purge",
        dry_run=dry_run,
        guests=report.guests,
        tables=report.tables,
        more=report.more,
    )
    return report


def last_run(tenant: Tenant) -> DataRequest | None:
    return (
        DataRequest.objects.filter(tenant=tenant, kind=RequestKind.RETENTION_PURGE)
        .order_by("-created_at")
        .first()
    )


def scheduled_purge(tenant: Tenant, now: dt.datetime) -> int:
    """The scheduler's periodic task: a batch when the last run is a day old, or left work.
    Queues no job (it returns 0): the purge is a few statements per batch, run in place."""
    with acting_for_tenant(tenant.id):
        previous = last_run(tenant)
    due = (
        previous is None
        or previous.details.get("more")
        or now - previous.created_at >= EVERY
        or previous.created_at > now  # a clock set back: run rather than wait for it
    )
    if due:
        try:
            purge(tenant, now, dry_run=False, limit=BATCH)
        except Exception:
            # The tick also queues every hotel's messages: a purge that fails (rolled back to
            # its savepoint, nothing recorded) is retried at the next tick, and stops nothing.
            log.exception("retention_purge_failed", error_category=ErrorCategory.FATAL)
    return 0
