"""Background work for the PMS: the queue's handlers (automation.queue.HANDLERS)."""

from __future__ import annotations

from typing import Any

from automation.models import AutomationJob
from innbox.integrations import IntegrationError
from pms import services
from pms.models import SyncStatus
from tenancy.models import Tenant


def run_pms_sync(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    try:
        run = services.sync_now(tenant, trigger=job.payload.get("trigger", "manual"))
    except services.NotConnected as problem:
        raise IntegrationError(str(problem), retryable=False) from None
    if run.status != SyncStatus.SUCCEEDED:
        # Not retried here: the person who pressed "Sync now" sees the failure at once, and the
        # next sync (pressed again, or scheduled) simply pulls the same range again.
        raise IntegrationError(run.error or "the sync failed", retryable=False)
    return {"sync_run": str(run.public_id), "created": run.created, "updated": run.updated}
