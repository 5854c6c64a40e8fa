from django.apps import AppConfig


class AgentConfig(AppConfig):
    name = "agent"

    def ready(self) -> None:
        from agent import follow_up
        from agent.models import (
            FeedbackFollowUp,
            HousekeepingRequest,
            PendingOrder,
            RoomServiceOrder,
        )
        from automation import queue, scheduler
        from automation.models import JobKind
        from hotel.personal_data import Holding, register
        from messaging.services import register_send_guard

        # The post-stay follow-up: a periodic task finds stays whose form went unanswered
        # 24 hours after the thank-you; each gets one job (agent.follow_up).
        scheduler.register_periodic_task(follow_up.queue_follow_ups)
        queue.register_handler(JobKind.FEEDBACK_FOLLOW_UP, "agent.follow_up.run_follow_up")
        # ...and a follow-up still waiting to leave when the form is answered stays unsent.
        register_send_guard(follow_up.no_longer_wanted)
        register(
            Holding(
                model=FeedbackFollowUp,
                name="feedback_follow_ups",
                guest="guest",
                export=["reservation", "outcome", "asked_rating_at", "comments", "created_at"],
                # The guest's own words go; that a follow-up was written, and how it ended, stay.
                erase={"comments": ""},
            )
        )

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
