from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"

    def ready(self) -> None:
        from automation import openapi

        openapi.register()  # the cron endpoint in /api/openapi.json
