"""Benchmark: sync 10,000 reservations, then the same 10,000 again, and print time and queries.

    .venv/bin/python bench/sync_demo.py                 # a throw-away SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1/innbox_bench .venv/bin/python bench/sync_demo.py

The database is migrated first; the numbers are what a hotel's first sync and a quiet re-sync cost.
On PostgreSQL the sync runs as the worker's role (`innbox_worker`), under row-level security, as
the worker runs it in production; the hotel is created as the owner.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innbox.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import connected_as, prepare_database  # noqa: E402
from hotel.models import ReservationStatus  # noqa: E402
from pms.adapters.base import Page, PMSGuest, PMSReservation  # noqa: E402
from pms.adapters.demo import DemoAdapter  # noqa: E402
from pms.sync import sync_reservations  # noqa: E402
from tenancy.models import User  # noqa: E402
from tenancy.services import create_tenant_with_owner  # noqa: E402

RESERVATIONS = 10_000
PAGE = 500
TODAY = dt.date(2026, 12, 1)


class TenThousand(DemoAdapter):
    def pull_reservations(self, start: dt.date, end: dt.date):
        for offset in range(0, RESERVATIONS, PAGE):
            yield Page(
                reservations=[
                    PMSReservation(
                        pms_id=f"B{n}",
                        guest=PMSGuest(
                            pms_id=f"BG{n % 6000}",
                            first_name="Guest",
                            last_name=str(n % 6000),
                            phone=f"+62812{n % 6000:07d}",
                            language="id",
                        ),
                        status=ReservationStatus.PRE_ARRIVAL,
                        pms_status="booked",
                        check_in=TODAY + dt.timedelta(days=n % 60),
                        check_out=TODAY + dt.timedelta(days=n % 60 + 2),
                        booking_code=f"BK{n}",
                        room_number=str(100 + n % 40),
                    )
                    for n in range(offset, min(offset + PAGE, RESERVATIONS))
                ]
            )


def measure(label: str, tenant) -> None:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        run = sync_reservations(tenant, TenThousand(), TODAY, TODAY + dt.timedelta(days=90))
        seconds = time.perf_counter() - started
    print(
        f"{label:<22} {RESERVATIONS} reservations in {RESERVATIONS // PAGE} pages: "
        f"{seconds:6.2f} s, {len(queries):5d} queries "
        f"({len(queries) / (RESERVATIONS // PAGE):.1f} per page), "
        f"{RESERVATIONS / seconds:8.0f} reservations/s; "
        f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}"
    )


def main() -> None:
    prepare_database(fresh=True)
    owner = User.objects.create_user(f"bench-{time.time_ns()}@example.com", "bench-password-1")
    tenant = create_tenant_with_owner(owner, name="Benchmark Hotel")
    with connected_as(settings.DB_WORKER_ROLE) as role:
        print(f"database: {connection.vendor} as {role}")
        measure("first sync", tenant)
        measure("same data again", tenant)


if __name__ == "__main__":
    main()
