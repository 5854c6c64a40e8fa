from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    """One conversation per guest chat: the inbox, who holds it, notes, saved replies, and the
    turns in which the concierge answers (conversations.turns)."""

    name = "conversations"

    def ready(self) -> None:
        from automation import queue
        from automation.models import JobKind
        from conversations import feedback_alerts, holdings, ingest, turns
        from conversations import services as conversation_services
        from hotel import feedback
        from hotel.personal_data import register
        from messaging import services
        from whatsapp import inbound

        inbound.on_guest_message(ingest.store_guest_message)
        queue.register_handler(JobKind.CONVERSATION_TURN, "conversations.turns.run_turn")
        # Jobs written before conversations existed: their message's turn, the same way.
        queue.register_handler(JobKind.GUEST_MESSAGE, "conversations.turns.run_turn")
        services.register_send_guard(turns.held_back)
        services.on_staff_send(conversation_services.staff_sent)
        # A rating of 2 or less escalates the guest's conversation (review links: every rating).
        feedback.on_feedback(feedback_alerts.alert_on_low_rating)
        # A conversation, its notes and events are personal data (hotel.personal_data).
        register(holdings.conversations())
        register(holdings.notes())
        register(holdings.events())
