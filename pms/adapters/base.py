"""The contract every PMS adapter fulfils. Sync code (pms/sync.py) speaks only this language.

An adapter translates one vendor's API into `PMSReservation`/`PMSGuest` records and maps the
vendor's status to ours, deterministically (docs/status-mapping.md is the matrix; a test checks
the code against it). Failures are IntegrationErrors saying whether a retry can help.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from hotel.models import ReservationStatus

# A change time outside these bounds is garbage, not a hint: "0001-01-01 00:00" in a zone east
# of UTC is a moment before year 1, which PostgreSQL stores and Python cannot read back (every
# page showing the reservation would fail).
EARLIEST_CHANGE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_CHANGE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
# reservations.pms_reservation_id and guests.pms_guest_id
MAX_PMS_ID_LENGTH = 64
# reservations.adults and .children (PositiveSmallIntegerField)
MAX_PERSONS = 32767


def plausible_change_time(moment: dt.datetime | None) -> dt.datetime | None:
    """`moment` when it can be when a PMS changed a reservation, else None (no hint)."""
    if moment is None or moment.tzinfo is None:
        return None
    try:
        return moment if EARLIEST_CHANGE <= moment < LATEST_CHANGE else None
    except OverflowError:  # its offset takes it out of the calendar
        return None


@dataclass(frozen=True)
class PMSGuest:
    pms_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""  # as the PMS has it; the sync normalises it to E.164
    country_code: str = ""
    language: str = ""  # ISO 639-1
    tier: str = ""
    points: int = 0
    # False when the PMS gave only the id (the profile could not be fetched): the sync then
    # links the stay to the guest without overwriting what it knows about them.
    complete: bool = True
    # True when the PMS records the guest's consent to WhatsApp messages (a push's
    # `whatsapp_consent`); None when it says nothing. Recorded once (pms.sync).
    consent: bool | None = None


@dataclass(frozen=True)
class PMSReservation:
    pms_id: str
    guest: PMSGuest
    status: ReservationStatus
    pms_status: str  # the vendor's own words, kept for staff and debugging
    check_in: dt.date
    check_out: dt.date
    booking_code: str = ""
    room_number: str = ""
    room_type: str = ""
    adults: int = 1
    children: int = 0
    amount: Decimal | None = None
    currency: str = ""
    source: str = ""
    # When the PMS last changed this reservation (timezone-aware), if it says: the sync then
    # ignores a record older than the change it applied last (out-of-order events, racing syncs).
    changed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Page:
    reservations: list[PMSReservation]
    # Opaque to the sync: what the adapter needs to fetch the next page, None when done.
    next_cursor: Any = None


class PMSAdapter(ABC):
    """Subclasses set `provider` and `label` and implement the vendor calls."""

    provider: ClassVar[str]
    label: ClassVar[str]
    # The vendor statuses this adapter knows, for the status-mapping test.
    status_examples: ClassVar[dict[str, ReservationStatus]] = {}

    def __init__(
        self,
        *,
        base_url: str = "",
        credentials: dict[str, Any] | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials or {}
        # The hotel's zone: vendors that send UTC instants become the hotel's calendar dates.
        self.time_zone = time_zone

    @abstractmethod
    def test_connection(self) -> str:
        """Raise IntegrationError with a message for staff, or say what we reached."""

    @abstractmethod
    def pull_reservations(self, start: dt.date, end: dt.date) -> Iterator[Page]:
        """Reservations changed or staying between start and end, one page at a time."""

    @abstractmethod
    def map_status(self, raw: Any) -> ReservationStatus:
        """The vendor's status (whatever shape it has) in our five words."""

    def parse_documented_status(self, text: str) -> Any:
        """docs/status-mapping.md writes each vendor status as text; turn it into what
        map_status takes (adapters whose status is several fields override this)."""
        return text
