from django.apps import AppConfig


class AgentConfig(AppConfig):
    name = "agent"

    def ready(self) -> None:
        from agent.models import HousekeepingRequest, PendingOrder, RoomServiceOrder
        from hotel.personal_data import Holding, register

        register(
            Holding(
                model=RoomServiceOrder,
                name="room_service_orders",
                guest="guest",
                export=["reservation", "room_number", "items", "notes", "status", "created_at"],
                # The dishes and quantities stay for the kitchen's counts; a line's own note
                # ("no peanuts, allergic") is the guest's and goes.
                erase={"notes": "", "items": _items_without_notes},
            )
        )
        register(
            Holding(
                model=HousekeepingRequest,
                name="housekeeping_requests",
                guest="guest",
                export=[
                    "reservation",
                    "room_number",
                    "request_type",
                    "details",
                    "status",
                    "created_at",
                ],
                erase={"details": ""},
            )
        )
        register(
            Holding(
                model=PendingOrder,
                name="draft_orders",
                guest="guest",
                export=["reservation", "items", "total", "currency", "expires_at", "created_at"],
                # A draft the guest has not confirmed counts for nothing: its lines (with the
                # guest's own notes) go whole. Its key is the conversation's public id.
                erase={"items": []},
            )
        )


def _items_without_notes(order: object) -> list[dict]:
    items = getattr(order, "items", None) or []
    return [
        {key: value for key, value in item.items() if key != "notes"}
        for item in items
        if isinstance(item, dict)
    ]
