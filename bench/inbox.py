"""Benchmark: the inbox list and a thread at 10,000 conversations and 200,000 messages, beside
the reservations page measured in the same run, as the web app's role under row-level security.

    .venv/bin/python bench/inbox.py --postgres     # PostgreSQL at 127.0.0.1, innbox_bench_inbox
    .venv/bin/python bench/inbox.py                # a throw-away SQLite file (no RLS there)
    BENCH_CONVERSATIONS=2000 BENCH_REPEAT=10 .venv/bin/python bench/inbox.py --postgres
    .venv/bin/python bench/inbox.py --postgres --reuse   # measure again, no refill

One hotel is filled with bulk inserts as the database owner (a guest, a reservation and a
conversation per chat, 20 messages each, every tenth conversation unread), ANALYZEd; then the
connection switches to `innbox_app` (PostgreSQL) and each page is requested through Django's test
Client as the logged-in owner. Printed per page: p50 and p95 server time over BENCH_REPEAT
requests after one warm-up, the SQL statements, and p95 as a ratio of the reservations page's.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--postgres" in sys.argv:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/innbox_bench_inbox")
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
from conversations.models import Conversation  # noqa: E402
from hotel.models import Guest, Reservation, ReservationStatus  # noqa: E402
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus  # noqa: E402
from tenancy.db import acting_for_tenant  # noqa: E402
from tenancy.models import Membership, Tenant, User  # noqa: E402
from tenancy.services import create_tenant_with_owner  # noqa: E402

CONVERSATIONS = int(os.environ.get("BENCH_CONVERSATIONS", "10000"))
MESSAGES_EACH = 20
REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
BATCH = 5_000


def fill(tenant: Tenant) -> None:
    today = timezone.localdate()
    now = timezone.now()
    with acting_for_tenant(tenant.id):
        Guest.objects.bulk_create(
            (
                Guest(
                    tenant=tenant,
                    pms_guest_id=f"G{n}",
                    first_name=f"Guest{n}",
                    last_name=f"Family{n % 7919}",
                    phone_e164=f"+62812{n:08d}",
                    whatsapp_chat_id=f"62812{n:08d}@c.us",
                    language=["en", "id"][n % 2],
                )
                for n in range(CONVERSATIONS)
            ),
            batch_size=BATCH,
        )
        guests = list(Guest.objects.filter(tenant=tenant).order_by("pk"))
        Reservation.objects.bulk_create(
            (
                Reservation(
                    tenant=tenant,
                    guest=guest,
                    pms_reservation_id=f"R{n}",
                    booking_code=f"BK{n:06d}",
                    room_number=str(100 + n % 120),
                    check_in=today - dt.timedelta(days=n % 400),
                    check_out=today - dt.timedelta(days=n % 400) + dt.timedelta(days=3),
                    status=ReservationStatus.CHECKED_OUT if n % 400 > 3 else "on-stay",
                )
                for n, guest in enumerate(guests)
            ),
            batch_size=BATCH,
        )
        Conversation.objects.bulk_create(
            (
                Conversation(
                    tenant=tenant,
                    chat_id=guest.whatsapp_chat_id,
                    phone_e164=guest.phone_e164,
                    guest=guest,
                    last_message_at=now - dt.timedelta(minutes=n),
                    last_message_preview="Could I get two more towels, please?",
                    last_message_inbound=True,
                    unread_count=2 if n % 10 == 0 else 0,
                )
                for n, guest in enumerate(guests)
            ),
            batch_size=BATCH,
        )
        for start in range(0, len(guests), BATCH // MESSAGES_EACH):
            MessageLog.objects.bulk_create(
                MessageLog(
                    tenant=tenant,
                    direction=Direction.INBOUND if m % 2 == 0 else Direction.OUTBOUND,
                    origin="" if m % 2 == 0 else MessageOrigin.MANUAL,
                    guest=guest,
                    chat_id=guest.whatsapp_chat_id,
                    body=f"Message {m} of this chat: could I get two more towels, please?",
                    status=MessageStatus.RECEIVED if m % 2 == 0 else MessageStatus.READ,
                    waha_message_id=f"w{guest.pk}-{m}",
                )
                for guest in guests[start : start + BATCH // MESSAGES_EACH]
                for m in range(MESSAGES_EACH)
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def filled_hotel() -> tuple[Tenant, User]:
    if "--reuse" in sys.argv:
        for tenant in Tenant.objects.filter(name="Inbox Benchmark Hotel").order_by("-created_at"):
            with acting_for_tenant(tenant.id):
                if Conversation.objects.filter(tenant=tenant).count() == CONVERSATIONS:
                    return tenant, Membership.objects.get(tenant=tenant, role="owner").user
    owner = User.objects.create_user(f"bench-{uuid.uuid4().hex}@example.com", "bench-password-1")
    tenant = create_tenant_with_owner(owner, name="Inbox Benchmark Hotel")
    fill(tenant)
    return tenant, owner


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm-up
    times, statements = [], 0
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        statements = len(captured)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, statements


def main() -> None:
    prepare_database(fresh=False)
    started = time.perf_counter()
    tenant, owner = filled_hotel()
    with acting_for_tenant(tenant.id):
        busiest = Conversation.objects.filter(tenant=tenant).order_by("-last_message_at").first()
        messages = MessageLog.objects.filter(tenant=tenant).count()
    assert busiest is not None
    role = as_app_role()
    print(
        f"database: {connection.vendor} as {role}; {CONVERSATIONS:,} conversations, "
        f"{messages:,} messages (filled or reused in {time.perf_counter() - started:.1f} s); "
        f"{REPEAT} requests each"
    )
    client = Client()
    client.force_login(owner)
    baseline = measure(client, "/reservations/")
    pages = [
        ("reservations (baseline)", "/reservations/", baseline),
        ("inbox: all", "/inbox/", None),
        ("inbox: unread", "/inbox/?tab=unread", None),
        ("inbox: search name", "/inbox/?q=family42", None),
        ("inbox: search booking code", "/inbox/?q=BK004242", None),
        ("inbox: thread (20 messages)", f"/inbox/{busiest.public_id}/", None),
    ]
    for label, url, known in pages:
        p50, p95, statements = known or measure(client, url)
        print(
            f"{label:<28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {statements:3d} statements  "
            f"p95 ratio to reservations {p95 / baseline[1]:5.2f}"
        )


if __name__ == "__main__":
    main()
