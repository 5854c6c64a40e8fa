from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    """One conversation per guest chat (the inbox, takeover, notes: the conversations issue).
    For now: guests' messages, taken from the WhatsApp transport and stored here."""

    name = "conversations"

    def ready(self) -> None:
        from automation import queue
        from automation.models import JobKind
        from conversations import ingest
        from whatsapp import inbound

        inbound.on_guest_message(ingest.store_guest_message)
        queue.register_handler(JobKind.GUEST_MESSAGE, "conversations.jobs.run_guest_message")
