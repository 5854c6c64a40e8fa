"""The concierge's tools as the worker runs them: connected as innbox_worker under row-level
security, acting for the guest's hotel. Orders and requests land in that hotel's stay; the
database itself refuses a tool pointed at another hotel."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, transaction

from agent.engine import decide
from agent.models import HousekeepingRequest, MenuItem, PendingOrder, RoomServiceOrder
from agent.tools import AgentContext, ToolStatus, call_tool
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import concierge_guest, django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_worker_role_writes_a_confirmed_order_and_a_request_for_the_guests_stay(
    settings: Any,
) -> None:
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    ctx_a = concierge_guest(a)
    concierge_guest(b)

    with django_connected_as(settings.DB_WORKER_ROLE), acting_for_tenant(a.tenant.id):
        asked = decide("mau pesan nasi goreng 2 porsi", ctx_a)
        placed = decide("ya", ctx_a)
        towels = decide("Minta handuk tambahan 2 ya", ctx_a)
        answer = decide("Do you have an airport shuttle?", ctx_a)
        # What the worker sees of other hotels under RLS: nothing.
        visible_menus = set(MenuItem.objects.values_list("tenant_id", flat=True))

    assert asked.tool_calls[0].status == ToolStatus.NEEDS_CONFIRMATION
    assert placed.intent == "confirm" and towels.intent == "housekeeping"
    assert answer.reply.startswith("Yes. The airport transfer")
    assert visible_menus == {a.tenant.id}
    [order] = RoomServiceOrder.objects.filter(tenant=a.tenant)
    assert (order.reservation_id, order.room_number) == (a.reservation.pk, "214")
    [request] = HousekeepingRequest.objects.all()
    assert request.tenant_id == a.tenant.id and request.request_type == "towels"
    assert not RoomServiceOrder.objects.filter(tenant=b.tenant).exists()
    assert not PendingOrder.objects.exists()


def test_the_database_refuses_a_tool_pointed_at_another_hotel(settings: Any) -> None:
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    concierge_guest(a)
    ctx_b = concierge_guest(b)
    # A bug hands hotel B's guest to a job acting for hotel A: the application checks pass
    # (the context is consistent in itself), the database wall does not.
    wrong = AgentContext(b.tenant, b.guest, b.reservation, "chat-b", "en", now=ctx_b.at())

    with django_connected_as(settings.DB_WORKER_ROLE), acting_for_tenant(a.tenant.id):
        refused = call_tool("order_in_room_dining", {"items": [{"name": "Nasi Goreng"}]}, wrong)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            HousekeepingRequest.objects.create(
                tenant=b.tenant,
                reservation=b.reservation,
                guest=b.guest,
                room_number="214",
                request_type="towels",
            )

    # Hotel B's menu is invisible from hotel A's context: nothing to draft from.
    assert refused.status == ToolStatus.REFUSED and refused.data["why"] == "not on the menu"
    assert not PendingOrder.objects.exists() and not HousekeepingRequest.objects.exists()
