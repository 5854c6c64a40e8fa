from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """Guests' personal data: consent entries by staff, the retention purge, exports and
    erasures (docs/compliance.md). It walks hotel.personal_data, which the apps holding guests'
    data fill; nothing below imports it."""

    name = "compliance"

    def ready(self) -> None:
        from automation import scheduler
        from compliance import retention
        from compliance.models import DataRequest
        from hotel.personal_data import Holding, register

        # Once a day per hotel (and again at once while a batch left work): the purge.
        scheduler.register_periodic_task(retention.scheduled_purge)
        register(
            Holding(
                model=DataRequest,
                name="data_requests",
                guest="guest",
                export=["kind", "created_at"],
                keep={"details": "table names and row counts: nothing about the person"},
            )
        )
