from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"

    def ready(self) -> None:
        from whatsapp import audit

        audit.track()
