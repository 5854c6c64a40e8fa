"""The searches' cases, shared by the SQLite and the PostgreSQL tests (tests/test_search.py,
tests/test_search_postgres.py): each backend must find exactly EXPECTED, so the two paths of
hotel/search.py (ORM filters on SQLite, SECURITY DEFINER functions on PostgreSQL) agree."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import QuerySet
from django.utils import timezone

from hotel import search
from hotel.models import Guest, Reservation
from tenancy.db import acting_for_tenant
from tests import factories

# What the desk might type (names, cases, phones as typed, codes, rooms, LIKE's wildcards), and
# what each finds in one hotel filled by `fill` (beside make_hotel's own "Ana Guest #" in
# room 101): (guests, reservations as "guest @ room"), sorted. Checked by hand once.
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "Wijaya": (["Ana Wijaya"], ["Ana Wijaya @ 101"]),
    "wij": (["Ana Wijaya"], ["Ana Wijaya @ 101"]),
    "ANA": (
        ["Ana Guest #", "Ana Wijaya", "Budi Tanaka"],
        ["Ana Guest # @ 101", "Ana Wijaya @ 101", "Budi Tanaka @ 2014"],
    ),
    "ana wijaya": (["Ana Wijaya"], ["Ana Wijaya @ 101"]),
    "Wijaya Ana": (["Ana Wijaya"], ["Ana Wijaya @ 101"]),
    "ana 101": ([], ["Ana Guest # @ 101", "Ana Wijaya @ 101"]),
    "Ana nobody": ([], []),
    "Tan": (["Budi Tanaka"], ["Budi Tanaka @ 2014"]),
    "bk-77": ([], ["Ana Wijaya @ 101"]),
    "BK-77": ([], ["Ana Wijaya @ 101"]),
    " bk-77 ": ([], ["Ana Wijaya @ 101"]),
    "R-900": ([], ["Ana Wijaya @ 101"]),
    "r-900": ([], ["Ana Wijaya @ 101"]),
    "101": ([], ["Ana Guest # @ 101", "Ana Wijaya @ 101", "Anna Müller @ 101"]),
    "2014": ([], ["Budi Tanaka @ 2014"]),
    "0812 3456 7001": (["Ana Wijaya"], []),
    "+62 812-3456-7001": (["Ana Wijaya"], []),
    "3456": (["Ana Wijaya", "Anna Müller", "Budi Tanaka", "Dewi Santoso"], []),
    "example.org": (["Ana Wijaya"], []),
    "ana.wijaya@": (["Ana Wijaya"], []),
    "%": ([], []),
    "_": (["Anna Müller"], []),
    "a_a": (["Anna Müller"], []),
    "\\": ([], []),
    "Müller": (["Anna Müller"], ["Anna Müller @ 101"]),
    "müller": (["Anna Müller"], ["Anna Müller @ 101"]),
    "zzz": ([], []),
}
QUERIES = list(EXPECTED)


def fill(hotel: factories.Hotel) -> None:
    """Guests and stays that look like the other hotel's: same names, phones, codes, rooms."""
    tenant = hotel.tenant
    today = timezone.localdate()
    people = [
        ("Ana", "Wijaya", "+6281234567001", "ana.wijaya@example.org", "BK-77", "R-900", "101"),
        ("Budi", "Tanaka", "+6281234567002", "budi@example.com", "bk-78", "R-901", "2014"),
        ("Anna", "Müller", "+4915112345678", "anna_a@example.de", "XY 1", "R-902", "101"),
        ("Dewi", "Santoso", "+6281234567003", "", "", "R-903", "A101"),
    ]
    with acting_for_tenant(hotel.tenant.id):
        for first, last, phone, email, code, pms_id, room in people:
            guest = Guest.objects.create(
                tenant=tenant, first_name=first, last_name=last, phone_e164=phone, email=email
            )
            Reservation.objects.create(
                tenant=tenant,
                guest=guest,
                pms_reservation_id=pms_id,
                booking_code=code,
                room_number=room,
                check_in=today,
                check_out=today + dt.timedelta(days=2),
            )


def label(guest: Guest) -> str:
    """A guest as the cases name them: make_hotel's own guest is "Ana Guest #"."""
    return re.sub(r"\d+", "#", guest.full_name)


def found(hotel: factories.Hotel, query: str) -> tuple[list[str], list[str]]:
    """(guests, reservations as "guest @ room") the hotel's searches find, sorted."""
    with acting_for_tenant(hotel.tenant.id):
        guests: QuerySet[Guest] = Guest.objects.filter(tenant=hotel.tenant)
        reservations = Reservation.objects.filter(tenant=hotel.tenant).select_related("guest")
        by_guest = sorted(label(g) for g in search.matching_guests(guests, query).rows)
        by_stay = sorted(
            f"{label(r.guest)} @ {r.room_number}"
            for r in search.matching_reservations(reservations, guests, query)
        )
    return by_guest, by_stay
