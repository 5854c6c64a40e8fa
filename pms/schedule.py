"""The periodic pull of every hotel with a pull PMS (every AUTOMATION_PMS_SYNC_MINUTES): a
periodic task of the engine's scheduler (automation.scheduler), registered in pms's
AppConfig.ready."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from automation import queue
from automation.models import JobKind
from innbox.logs import get_logger
from pms.models import PMSConfiguration, SyncRun
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

log = get_logger(__name__)


def periodic_sync(tenant: Tenant, now: dt.datetime) -> int:
    every = dt.timedelta(minutes=settings.AUTOMATION_PMS_SYNC_MINUTES)
    with acting_for_tenant(tenant.id):
        config = PMSConfiguration.objects.filter(tenant=tenant, is_active=True).first()
        if config is None:
            return 0
        last = (
            SyncRun.objects.filter(tenant=tenant)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        if (last and now - last < every) or queue.pending(tenant, JobKind.PMS_SYNC) is not None:
            return 0
    queue.enqueue(tenant, JobKind.PMS_SYNC, {"trigger": "schedule"})
    log.info("scheduled_pms_sync", tenant_id=str(tenant.id))
    return 1
