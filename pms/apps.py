from django.apps import AppConfig


class PmsConfig(AppConfig):
    name = "pms"

    def ready(self) -> None:
        from automation import queue, scheduler
        from automation.models import JobKind
        from pms import audit, openapi
        from pms.schedule import periodic_sync

        queue.register_handler(JobKind.PMS_SYNC, "pms.jobs.run_pms_sync")
        scheduler.register_periodic_task(periodic_sync)
        audit.track()
        openapi.register()  # its endpoints in /api/openapi.json
