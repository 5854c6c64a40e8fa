from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What an operator runs Innbox with: /metrics, /readyz, backups and key rotation.

    The top layer, beside the dashboard: it reads every app and no app imports it."""

    name = "operations"

    def ready(self) -> None:
        from operations import openapi

        openapi.register()  # /readyz in /api/openapi.json
