"""Background work for the PMS: the queue's handlers (automation.queue.HANDLERS)."""

from __future__ import annotations

from typing import Any

from automation import queue
from automation.models import AutomationJob
from innbox.integrations import IntegrationError
from pms import services
from pms.models import SyncStatus
from tenancy.models import Tenant


def run_pms_sync(job: AutomationJob, tenant: Tenant) -> dict[str, Any]:
    def still_ours() -> bool:
        """A sync can outlast the lease: each page renews it, or stops if it was lost."""
        try:
            queue.keep_lease(job)
        except queue.LeaseLost:
            return False
        return True

    try:
        run = services.sync_now(
            tenant, trigger=job.payload.get("trigger", "manual"), still_ours=still_ours
        )
    except services.NotConnected as problem:
        raise IntegrationError(str(problem), retryable=False) from None
    if run.status != SyncStatus.SUCCEEDED:
        # Not retried here: the person who pressed "Sync now" sees the failure at once, and the
        # next sync (pressed again, or scheduled) simply pulls the same range again.
        raise IntegrationError(run.error or "the sync failed", retryable=False)
    return {"sync_run": str(run.public_id), "created": run.created, "updated": run.updated}
