"""The generic push payload: validated strictly, applied through the sync's upsert path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotel.models import Guest, Reservation, StatusTransition
from pms.push import PushEvent, apply_push
from tests import factories

EVENT = {
    "type": "reservation.upserted",
    "reservation": {
        "id": "R-1042",
        "status": "pre-arrival",
        "check_in": "2026-12-01",
        "check_out": "2026-12-04",
        "booking_code": "hx7k2",
        "room_number": "214",
        "guest": {"id": "G-77", "first_name": "Siti", "phone": "0812-3456-0001", "language": "ID"},
    },
}


@pytest.mark.django_db
def test_a_push_creates_then_moves_a_reservation_with_one_transition(
    hotel_a: factories.Hotel,
) -> None:
    apply_push(hotel_a.tenant, PushEvent.model_validate(EVENT))
    checked_in = {**EVENT, "reservation": {**EVENT["reservation"], "status": "on-stay"}}
    counts = apply_push(hotel_a.tenant, PushEvent.model_validate(checked_in))
    again = apply_push(hotel_a.tenant, PushEvent.model_validate(checked_in))

    reservation = Reservation.objects.get(tenant=hotel_a.tenant, pms_reservation_id="R-1042")
    assert reservation.status == "on-stay" and reservation.booking_code == "HX7K2"
    assert reservation.guest.phone_e164 == "+6281234560001" and reservation.guest.language == "id"
    assert (counts.updated, counts.transitions) == (1, 1)
    assert (again.unchanged, again.transitions) == (1, 0)
    assert (
        StatusTransition.objects.filter(reservation=reservation).count() == 2
    )  # new, then on-stay
    assert Guest.objects.filter(tenant=hotel_a.tenant, pms_guest_id="G-77").count() == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": "checked-in"}, "status"),
        ({"check_out": "2026-11-30"}, "check_out is before check_in"),
        ({"surprise": True}, "Extra inputs"),
        ({"guest": {"first_name": "No id"}}, "id"),
    ],
)
def test_a_bad_payload_is_refused_with_the_reason(change: dict, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PushEvent.model_validate({**EVENT, "reservation": {**EVENT["reservation"], **change}})
    assert problem in str(caught.value)
