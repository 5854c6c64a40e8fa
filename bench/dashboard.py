"""Benchmark: the dashboard, /guests/ and /reservations/ of a hotel with 100,000 reservations.

    .venv/bin/python bench/dashboard.py                  # a throw-away SQLite file
    .venv/bin/python bench/dashboard.py --postgres       # PostgreSQL at 127.0.0.1, innbox_bench_dashboard
    DATABASE_URL=postgres://... BENCH_RESERVATIONS=20000 BENCH_REPEAT=30 .venv/bin/python bench/dashboard.py
    DATABASE_URL=sqlite:////tmp/d.sqlite3 .venv/bin/python bench/dashboard.py --reuse  # measure again

One hotel is filled with bulk inserts (60% as many guests as reservations, stays over three years
around today, a few messages), the tables are VACUUM ANALYZEd, then each page is requested through
Django's test Client as the logged-in owner, in turns with the baseline: /healthz, a view doing
one `SELECT 1` through the same middleware (the framework's floor). Printed per page: the server
time (p50 and p95 over BENCH_REPEAT requests, after one warm-up), the number of SQL statements and
the median time spent in them (the rest is Python: the view, its templates, the middleware), and
p95 as a ratio of the baseline's p95 over the requests made between the page's. Requested in
turns, the ratio holds when the load of a shared machine changes during the run. On PostgreSQL the
pages are measured as the web app's role (`innbox_app`), under row-level security as production
serves them: the superuser bypasses RLS and its plans differ (issue 19). `make bench` runs it with
production settings (DEBUG off).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--postgres" in sys.argv:
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/innbox_bench_dashboard"
    )
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innbox.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()


from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import as_app_role, prepare_database  # noqa: E402
from hotel.models import Guest, Reservation, ReservationStatus  # noqa: E402
from messaging.models import Direction, MessageLog, MessageStatus  # noqa: E402
from tenancy.db import acting_for_tenant  # noqa: E402
from tenancy.models import Membership, Tenant, User  # noqa: E402
from tenancy.services import create_tenant_with_owner  # noqa: E402

RESERVATIONS = int(os.environ.get("BENCH_RESERVATIONS", "100000"))
GUESTS = RESERVATIONS * 6 // 10
MESSAGES = RESERVATIONS // 10
REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
BATCH = 5_000
SOURCES = ["Booking.com", "Expedia", "Direct", "Walk-in", "Agoda"]


# The framework's floor: a view doing one `SELECT 1` through the same middleware.
BASELINE = "/healthz"


@dataclass(frozen=True)
class Measured:
    p50: float
    p95: float
    queries: int
    sql_p50: float  # the statements' share: the rest is Python (views, templates, middleware)
    baseline_p95: float  # of the baseline requests made between this page's


def status_for(n: int, check_in: dt.date, check_out: dt.date, today: dt.date) -> str:
    if n % 10 == 0:
        return ReservationStatus.CANCELLED
    if n % 97 == 0:
        return ReservationStatus.NO_SHOW
    if check_out <= today:
        return ReservationStatus.CHECKED_OUT
    if check_in <= today:
        return ReservationStatus.ON_STAY
    return ReservationStatus.PRE_ARRIVAL


def fill(tenant: Tenant) -> None:
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=1000)
    with acting_for_tenant(tenant.id):
        for start in range(0, GUESTS, BATCH):
            Guest.objects.bulk_create(
                Guest(
                    tenant=tenant,
                    pms_guest_id=f"G{n}",
                    first_name=f"Guest{n}",
                    last_name=f"Family{n % 7919}",
                    phone_e164=f"+62812{n:08d}",
                    email=f"guest{n}@example.com",
                    country_code=["ID", "SG", "AU", "NL", "JP"][n % 5],
                    tier=["", "Silver", "Gold"][n % 3],
                    points=(n * 37) % 5000,
                )
                for n in range(start, min(start + BATCH, GUESTS))
            )
        guest_ids = list(
            Guest.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
        )
        for start in range(0, RESERVATIONS, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, RESERVATIONS)):
                # Spread over ~3 years up to two months ahead, 2 to 5 nights.
                check_in = first_day + dt.timedelta(days=n * 1060 // RESERVATIONS)
                check_out = check_in + dt.timedelta(days=2 + n % 4)
                rows.append(
                    Reservation(
                        tenant=tenant,
                        guest_id=guest_ids[n % len(guest_ids)],
                        pms_reservation_id=f"R{n}",
                        booking_code=f"BK{n:06d}",
                        room_number=str(100 + n % 120),
                        room_type="Deluxe",
                        check_in=check_in,
                        check_out=check_out,
                        amount=Decimal(750_000 + (n % 9) * 125_000),
                        currency="IDR",
                        source=SOURCES[n % len(SOURCES)],
                        status=status_for(n, check_in, check_out, today),
                    )
                )
            Reservation.objects.bulk_create(rows)
        MessageLog.objects.bulk_create(
            (
                MessageLog(
                    tenant=tenant,
                    direction=Direction.OUTBOUND,
                    guest_id=guest_ids[n % len(guest_ids)],
                    body="Hello",
                    status=MessageStatus.DELIVERED,
                )
                for n in range(MESSAGES)
            ),
            batch_size=BATCH,
        )
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM too, as autovacuum would have done on a live database. It sets the
        # visibility map, without which no index-only scan is possible and late pages read the heap.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _timed(client: Client, url: str) -> tuple[float, int, float]:
    """(ms, statements, ms of them spent waiting for the database)."""
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    sql = sum(float(query["time"]) for query in captured.captured_queries) * 1000
    return elapsed, len(captured), sql


def _p50_p95(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure(client: Client, url: str) -> Measured:
    """The page and the baseline requested in turns, REPEAT times each after one warm-up: on a
    shared machine the load changes within a run, and a baseline measured once at the start
    would make a page measured later look slower or faster than it is."""
    client.get(url)  # warm-up: templates compiled, pages cached by the database
    page_times, base_times, sql_times, queries = [], [], [], 0
    for _ in range(REPEAT):
        base_times.append(_timed(client, BASELINE)[0])
        elapsed, queries, sql = _timed(client, url)
        page_times.append(elapsed)
        sql_times.append(sql)
    return Measured(
        *_p50_p95(page_times), queries, statistics.median(sql_times), _p50_p95(base_times)[1]
    )


def filled_hotel() -> tuple[Tenant, User]:
    """A new hotel, filled; with --reuse the last one an earlier run filled to the same size."""
    if "--reuse" in sys.argv:
        for tenant in Tenant.objects.filter(name="Benchmark Hotel").order_by("-created_at"):
            with acting_for_tenant(tenant.id):
                if Reservation.objects.filter(tenant=tenant).count() == RESERVATIONS:
                    owner = Membership.objects.get(tenant=tenant, role="owner").user
                    return tenant, owner
    owner = User.objects.create_user(f"bench-{uuid.uuid4().hex}@example.com", "bench-password-1")
    tenant = create_tenant_with_owner(owner, name="Benchmark Hotel")
    fill(tenant)
    return tenant, owner


def main() -> None:
    prepare_database(fresh=False)
    started = time.perf_counter()
    _tenant, owner = filled_hotel()
    role = as_app_role()
    print(
        f"database: {connection.vendor} as {role}; filled {RESERVATIONS:,} reservations, {GUESTS:,} guests,"
        f" {MESSAGES:,} messages (or reused) in {time.perf_counter() - started:.1f} s;"
        f" {REPEAT} requests each"
    )
    client = Client()
    client.force_login(owner)
    late_guests = GUESTS // 50 - 1
    late_reservations = RESERVATIONS // 50 - 1
    pages = [
        ("dashboard", "/"),
        ("guests: first page", "/guests/"),
        ("guests: search 'family42'", "/guests/?q=family42"),
        ("guests: search phone", "/guests/?q=0812%20000%2012345"),
        ("guests: newest first", "/guests/?sort=-joined"),
        ("guests: most points", "/guests/?sort=-points"),
        (f"guests: late page {late_guests}", f"/guests/?page={late_guests}"),
        ("reservations: first page", "/reservations/"),
        ("reservations: search 'family42'", "/reservations/?q=family42"),
        ("reservations: search booking code", "/reservations/?q=BK004242"),
        ("reservations: search name and room", "/reservations/?q=family42%20101"),
        # Past 10,000 matches: the list stops counting ("10,000+").
        ("guests: search 'guest4' (10,000+)", "/guests/?q=guest4"),
        (
            f"reservations: late page {late_reservations}",
            f"/reservations/?page={late_reservations}",
        ),
        ("reservations: tab on-stay", "/reservations/?status=on-stay"),
        ("reservations: tab pre-arrival", "/reservations/?status=pre-arrival"),
        ("reservations: tab checked-out p.100", "/reservations/?status=checked-out&page=100"),
        ("reservations: staying next week", _next_week()),
    ]
    client.get(BASELINE)
    baseline = measure(client, BASELINE)
    print(
        f"{'baseline: /healthz (SELECT 1)':<36} p50 {baseline.p50:7.1f} ms   p95 {baseline.p95:7.1f} ms"
        f"   {baseline.queries:3d} queries   SQL p50 {baseline.sql_p50:5.1f} ms"
    )
    for label, url in pages:
        page = measure(client, url)
        print(
            f"{label:<36} p50 {page.p50:7.1f} ms   p95 {page.p95:7.1f} ms   {page.queries:3d} queries"
            f"   SQL p50 {page.sql_p50:5.1f} ms   baseline p95 {page.baseline_p95:5.1f} ms   p95 ratio {page.p95 / page.baseline_p95:5.1f}"
            f"   {url}"
        )


def _next_week() -> str:
    today = timezone.localdate()
    return f"/reservations/?dates=staying&from={today}&to={today + dt.timedelta(days=7)}"


if __name__ == "__main__":
    main()
