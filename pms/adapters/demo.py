"""A simulated PMS: a 40-room hotel with a few hundred stays around its "today".

Everything is derived from a seed and the story's date, so two syncs of the same day agree and a
test can predict every row. The story's clock can be moved forward (`advance`), which is how a
person trying Innbox sees guests arrive and leave, and the automations fire.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

import phonenumbers
from django.utils import timezone

from hotel.models import ReservationStatus
from pms.adapters.base import Page, PMSAdapter, PMSGuest, PMSReservation

PAGE_SIZE = 100
STORY_DAYS_BACK = 30
STORY_DAYS_AHEAD = 45

# (region, language, first names, last names)
PEOPLE = [
    (
        "ID",
        "id",
        ["Siti", "Budi", "Ayu", "Rizky", "Dewi", "Agus", "Putri", "Made"],
        ["Rahayu", "Santoso", "Lestari", "Pratama", "Wijaya", "Saputra"],
    ),
    ("AU", "en", ["Liam", "Olivia", "Jack", "Chloe"], ["O'Brien", "Taylor", "Nguyen", "Wilson"]),
    ("GB", "en", ["James", "Emily", "Harry", "Amelia"], ["Walker", "Smith", "Hughes", "Patel"]),
    ("DE", "de", ["Emma", "Lukas", "Mia", "Felix"], ["Schneider", "Müller", "Weber", "Fischer"]),
    ("FR", "fr", ["Camille", "Louis", "Chloé", "Hugo"], ["Dubois", "Martin", "Bernard", "Laurent"]),
    ("JP", "ja", ["Yuki", "Haruto", "Sakura", "Ren"], ["Tanaka", "Sato", "Suzuki", "Ito"]),
    ("CN", "zh", ["Wei", "Fang", "Jing", "Lei"], ["Chen", "Wang", "Li", "Zhang"]),
    ("NL", "nl", ["Daan", "Sanne", "Bram", "Lotte"], ["de Vries", "Jansen", "Bakker", "Visser"]),
    ("US", "en", ["Olivia", "Noah", "Ava", "Ethan"], ["Johnson", "Brown", "Garcia", "Miller"]),
    ("SG", "en", ["Wei Ling", "Jun", "Hui Min", "Darren"], ["Tan", "Lim", "Ong", "Goh"]),
]
ROOM_TYPES = [
    ("Deluxe Garden", Decimal("1250000"), range(101, 116)),
    ("Ocean Suite", Decimal("2900000"), range(201, 211)),
    ("Family Room", Decimal("1850000"), range(301, 311)),
    ("Pool Villa", Decimal("4750000"), range(401, 406)),
]
ROOM_COUNT = sum(len(rooms) for _, _, rooms in ROOM_TYPES)
SOURCES = ["Direct", "Booking.com", "Expedia", "Agoda", "Walk-in"]
GUEST_POOL = 260


@cache
def _mobile_base(region: str) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"no example mobile number for {region}")
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def _phone(region: str, serial: int) -> str:
    """A valid mobile number of the region, different per guest."""
    base = _mobile_base(region)
    for bump in range(20):
        candidate = base[:-3] + f"{(serial * 7 + bump) % 1000:03d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
    return base


def _ascii(address: str) -> str:
    plain = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "").replace("'", "")


@cache
def guests() -> tuple[PMSGuest, ...]:
    rng = random.Random(4040)  # noqa: S311 - a story, not a secret
    pool = []
    for serial in range(GUEST_POOL):
        region, language, firsts, lasts = PEOPLE[serial % len(PEOPLE)]
        first, last = rng.choice(firsts), rng.choice(lasts)
        pool.append(
            PMSGuest(
                pms_id=f"DG{serial + 1:04d}",
                first_name=first,
                last_name=last,
                email=_ascii(f"{first}.{last}.{serial}@guest.example"),
                phone=_phone(region, serial),
                country_code=region,
                language=language,
            )
        )
    return tuple(pool)


@cache
def _stays(story_start: dt.date) -> tuple[tuple[Any, ...], ...]:
    """(number, room, room type, rate, check_in, nights, guest index, source, fate) per stay.

    Depends only on the window's start, so the same bookings exist whatever day the story is at."""
    rng = random.Random(story_start.toordinal())  # noqa: S311
    stays = []
    number = 0
    for room_type, rate, rooms in ROOM_TYPES:
        for room in rooms:
            day = story_start
            end = story_start + dt.timedelta(days=STORY_DAYS_BACK + STORY_DAYS_AHEAD)
            while day < end:
                day += dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))  # vacant nights
                nights = rng.choice([1, 2, 2, 3, 3, 4, 5, 7])
                number += 1
                guest_index = rng.randrange(GUEST_POOL)
                fate = rng.choices(["stay", "cancel", "no-show"], weights=[92, 6, 2])[0]
                stays.append(
                    (
                        number,
                        str(room),
                        room_type,
                        rate,
                        day,
                        nights,
                        guest_index,
                        rng.choice(SOURCES),
                        fate,
                    )
                )
                day += dt.timedelta(days=nights)
    return tuple(stays)


class DemoAdapter(PMSAdapter):
    provider = "demo"
    label = "Demo hotel (simulated PMS)"
    status_examples: ClassVar[dict[str, ReservationStatus]] = {
        "booked": ReservationStatus.PRE_ARRIVAL,
        "in-house": ReservationStatus.ON_STAY,
        "departed": ReservationStatus.CHECKED_OUT,
        "cancelled": ReservationStatus.CANCELLED,
        "no-show": ReservationStatus.NO_SHOW,
    }

    @property
    def today(self) -> dt.date:
        return timezone.localdate() + dt.timedelta(
            days=int(self.credentials.get("clock_offset_days", 0))
        )

    @property
    def _story_start(self) -> dt.date:
        # Anchored to the real date the demo was connected, so advancing the clock moves guests
        # through the same bookings instead of inventing new ones.
        anchor = self.credentials.get("anchor_date")
        base = dt.date.fromisoformat(anchor) if anchor else timezone.localdate()
        return base - dt.timedelta(days=STORY_DAYS_BACK)

    def advance(self, days: int = 1) -> dict[str, Any]:
        """New credentials with the story `days` further on."""
        return {
            **self.credentials,
            "anchor_date": self.credentials.get("anchor_date") or timezone.localdate().isoformat(),
            "clock_offset_days": int(self.credentials.get("clock_offset_days", 0)) + days,
        }

    def test_connection(self) -> str:
        return f"Demo hotel: {ROOM_COUNT} rooms, story date {self.today:%d %b %Y}"

    def _raw_status(self, check_in: dt.date, check_out: dt.date, room: str, fate: str) -> str:
        today = self.today
        if fate == "cancel":
            return "cancelled"
        if fate == "no-show" and check_in < today:
            return "no-show"
        if check_out <= today:
            return "departed"
        # On arrival day, even rooms have checked in already, odd ones are on their way.
        if check_in < today or (check_in == today and int(room) % 2 == 0):
            return "in-house"
        return "booked"

    def map_status(self, raw: Any) -> ReservationStatus:
        return self.status_examples[str(raw)]

    def _all(self, start: dt.date, end: dt.date) -> list[PMSReservation]:
        pool = guests()
        stays = _stays(self._story_start)
        visits: dict[int, int] = {}
        for stay in stays:
            visits[stay[6]] = visits.get(stay[6], 0) + 1
        found = []
        for number, room, room_type, rate, check_in, nights, guest_index, source, fate in stays:
            check_out = check_in + dt.timedelta(days=nights)
            if check_out < start or check_in > end:
                continue
            raw = self._raw_status(check_in, check_out, room, fate)
            # Returning guests: the more stays, the higher the tier.
            count = visits[guest_index]
            guest = PMSGuest(
                **{
                    **pool[guest_index].__dict__,
                    "tier": "Gold" if count >= 3 else ("Silver" if count == 2 else ""),
                    "points": 250 * (count - 1),
                }
            )
            found.append(
                PMSReservation(
                    pms_id=f"DR{number:05d}",
                    guest=guest,
                    status=self.map_status(raw),
                    pms_status=raw,
                    check_in=check_in,
                    check_out=check_out,
                    booking_code=f"INN{number:05d}",
                    room_number=room,
                    room_type=room_type,
                    adults=2 if room_type != "Family Room" else 3,
                    children=1 if room_type == "Family Room" else 0,
                    amount=rate * nights,
                    currency="IDR",
                    source=source,
                )
            )
        return found

    def pull_reservations(self, start: dt.date, end: dt.date) -> Iterator[Page]:
        found = self._all(start, end)
        for offset in range(0, max(len(found), 1), PAGE_SIZE):
            chunk = found[offset : offset + PAGE_SIZE]
            more = offset + PAGE_SIZE < len(found)
            yield Page(reservations=chunk, next_cursor=offset + PAGE_SIZE if more else None)
