"""The demo hotel's boards (seed_demo): an order and a request from guests in the house, so
/orders/ and /requests/ show what they are for before any guest has written."""

from __future__ import annotations

from decimal import Decimal

from agent.models import HousekeepingRequest, HousekeepingType, RoomServiceOrder
from hotel.models import Reservation, ReservationStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

DEMO_ORDER_ITEMS = [
    {"name": "Nasi goreng spesial", "quantity": 2, "unit_price": "65000"},
    {"name": "Es teh manis", "quantity": 2, "unit_price": "20000", "notes": "less sugar"},
]
DEMO_ORDER_TOTAL = Decimal("170000")


def seed_boards(tenant: Tenant) -> bool:
    """Once per hotel: an order from an Indonesian-speaking guest and a request from another
    guest, both on stay; False when the hotel has orders or requests already, or nobody is in."""
    with acting_for_tenant(tenant.id):
        if (
            RoomServiceOrder.objects.filter(tenant=tenant).exists()
            or HousekeepingRequest.objects.filter(tenant=tenant).exists()
        ):
            return False
        in_house = list(
            Reservation.objects.filter(
                tenant=tenant, status=ReservationStatus.ON_STAY, room_number__gt=""
            )
            .exclude(guest__phone_e164="")
            .select_related("guest")
            .order_by("room_number")[:20]
        )
        if not in_house:
            return False
        diner = next((r for r in in_house if r.guest.language == "id"), in_house[0])
        asker = next((r for r in in_house if r.guest_id != diner.guest_id), diner)
        RoomServiceOrder.objects.create(
            tenant=tenant,
            reservation=diner,
            guest=diner.guest,
            room_number=diner.room_number,
            items=DEMO_ORDER_ITEMS,
            total=DEMO_ORDER_TOTAL,
            currency="IDR",
        )
        HousekeepingRequest.objects.create(
            tenant=tenant,
            reservation=asker,
            guest=asker.guest,
            room_number=asker.room_number,
            request_type=HousekeepingType.TOWELS,
            details="Two extra bath towels, please.",
        )
    return True
