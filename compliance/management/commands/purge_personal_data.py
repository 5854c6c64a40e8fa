"""Anonymise guests past each hotel's retention period now, as the daily scheduled purge does
(compliance.retention). `--dry-run` changes nothing and prints what it would do."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from automation import scheduler
from compliance import retention


class Command(BaseCommand):
    help = "Anonymise guests past the hotel's retention period (--dry-run: only say what)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="change nothing; print what would be done"
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        now = timezone.now()
        for tenant in scheduler.scheduled_tenants():
            if dry_run:
                report = retention.purge(tenant, now, dry_run=True)
            else:
                report = self._purge_all(tenant, now)
            self.stdout.write(self._describe(report, dry_run=dry_run))

    def _purge_all(self, tenant: Any, now: Any) -> retention.PurgeReport:
        """Batch after batch, one transaction each, until nothing is left."""
        total = retention.PurgeReport(tenant=tenant, cutoff=retention.cutoff(tenant, now)[0])
        while True:
            report = retention.purge(tenant, now, dry_run=False, limit=retention.BATCH)
            total.guests += report.guests
            for name, count in report.tables.items():
                total.tables[name] = total.tables.get(name, 0) + count
            if not report.more:
                return total

    def _describe(self, report: retention.PurgeReport, *, dry_run: bool) -> str:
        tenant = report.tenant
        head = (
            f"{tenant.name} ({tenant.public_id}): retention {tenant.retention_months} months, "
            f"stays ended before {report.cutoff.isoformat()}"
        )
        verb = "would anonymise" if dry_run else "anonymised"
        if not report.tables:
            return f"{'[dry run] ' if dry_run else ''}{head}: nothing to anonymise"
        tables = ", ".join(f"{name} {count}" for name, count in report.tables.items())
        return (
            f"{'[dry run] ' if dry_run else ''}{head}: {verb} {report.guests} guests; "
            f"rows per table: {tables}"
        )
