"""A small, deterministic demo hotel for `make run`, so a new user has something to click.

The PMS demo adapter (pms issue) will replace these rows with a full simulated PMS.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hotel.models import Guest, Reservation, ReservationStatus
from tenancy.models import Tenant

# first name, last name, phone (E.164), country, language
DEMO_GUESTS = [
    ("Siti", "Rahayu", "+6281234560001", "ID", "id"),
    ("Budi", "Santoso", "+6281234560002", "ID", "id"),
    ("Emma", "Schneider", "+4915112345601", "DE", "de"),
    ("James", "Walker", "+447911123401", "GB", "en"),
    ("Yuki", "Tanaka", "+819012345601", "JP", "ja"),
    ("Camille", "Dubois", "+33612345601", "FR", "fr"),
    ("Liam", "O'Brien", "+61412345601", "AU", "en"),
    ("Ayu", "Lestari", "+6281234560003", "ID", "id"),
    ("Chen", "Wei", "+8613812345601", "CN", "zh"),
    ("Sofia", "Rossi", "+393471234561", "IT", "it"),
    ("Rizky", "Pratama", "+6281234560004", "ID", "id"),
    ("Olivia", "Smith", "+12025550101", "US", "en"),
]

ROOM_TYPES = [("Deluxe Garden", Decimal("1250000")), ("Ocean Suite", Decimal("2900000"))]


def seed_demo_reservations(tenant: Tenant) -> int:
    """Guests arriving, in house and gone, around today. Returns how many reservations exist."""
    rng = random.Random(20261125)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    for index, (first, last, phone, country, language) in enumerate(DEMO_GUESTS):
        guest, _ = Guest.objects.get_or_create(
            tenant=tenant,
            pms_guest_id=f"DEMO-G{index + 1:03d}",
            defaults={
                "first_name": first,
                "last_name": last,
                "phone_e164": phone,
                "country_code": country,
                "language": language,
                "tier": rng.choice(["", "", "Silver", "Gold"]),
                "points": rng.randrange(0, 5000, 50),
            },
        )
        offset = index - 5  # a spread from five days ago to a week ahead
        nights = rng.randint(1, 4)
        check_in = today + dt.timedelta(days=offset)
        check_out = check_in + dt.timedelta(days=nights)
        if check_out <= today:
            status = ReservationStatus.CHECKED_OUT
        elif check_in < today:
            status = ReservationStatus.ON_STAY
        else:
            status = ReservationStatus.PRE_ARRIVAL
        room_type, rate = ROOM_TYPES[index % 2]
        Reservation.objects.get_or_create(
            tenant=tenant,
            pms_reservation_id=f"DEMO-R{index + 1:04d}",
            defaults={
                "guest": guest,
                "booking_code": f"INN{index + 1:04d}",
                "room_number": str(101 + index * 3),
                "room_type": room_type,
                "check_in": check_in,
                "check_out": check_out,
                "adults": rng.randint(1, 2),
                "amount": rate * nights,
                "currency": "IDR",
                "source": rng.choice(["Direct", "Booking.com", "Expedia", "Walk-in"]),
                "status": status,
                "pms_status": status.value,
            },
        )
    return Reservation.objects.filter(tenant=tenant).count()
