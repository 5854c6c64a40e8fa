"""{% stay_orders_and_requests reservation %}: the inbox's side panel lists what the guest of a
conversation ordered and asked for during the stay (the conversations app, on the same layer
row, shows it through this tag instead of importing the agent's models)."""

from __future__ import annotations

from typing import Any

from django import template

from agent.models import HousekeepingRequest, OrderStatus, RequestStatus, RoomServiceOrder

register = template.Library()
SHOWN = 5


@register.inclusion_tag("agent/partials/stay_orders_and_requests.html")
def stay_orders_and_requests(reservation: Any) -> dict[str, Any]:
    if reservation is None:
        return {"orders": [], "requests": []}
    orders = list(
        RoomServiceOrder.objects.filter(tenant_id=reservation.tenant_id, reservation=reservation)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by("-created_at")[:SHOWN]
    )
    requests = list(
        HousekeepingRequest.objects.filter(tenant_id=reservation.tenant_id, reservation=reservation)
        .exclude(status=RequestStatus.CANCELLED)
        .order_by("-created_at")[:SHOWN]
    )
    return {"orders": orders, "requests": requests}
