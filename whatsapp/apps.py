from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"

    def ready(self) -> None:
        from whatsapp import audit

        audit.track()

        from whatsapp import openapi

        openapi.register()  # its endpoints in /api/openapi.json
