from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy and accounts"

    def ready(self) -> None:
        from tenancy import audit

        audit.connect_signals()
        audit.track_tenancy_models()
