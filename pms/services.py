"""The hotel's PMS connection: build its adapter, test it, sync it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from auditlog.context import disable_auditlog
from django.utils import timezone

from innbox.integrations import IntegrationError
from pms.adapters import ADAPTERS, adapter_for
from pms.adapters.base import PMSAdapter
from pms.adapters.demo import DemoAdapter
from pms.models import ConnectionHealth, PMSConfiguration, SyncRun
from pms.sync import sync_reservations
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

SYNC_DAYS_BACK = 30
SYNC_DAYS_AHEAD = 90


class NotConnected(Exception):
    pass


def configuration_for(tenant: Tenant) -> PMSConfiguration | None:
    # In its own tenant context: the worker calls this outside any request.
    with acting_for_tenant(tenant.id):
        return PMSConfiguration.objects.filter(tenant=tenant).first()


def adapter_for_tenant(tenant: Tenant, config: PMSConfiguration | None = None) -> PMSAdapter:
    config = config or configuration_for(tenant)
    if config is None or not config.is_active:
        raise NotConnected("No PMS is connected yet. The owner connects it under Settings → PMS.")
    if config.provider not in ADAPTERS:
        raise NotConnected(f"{config.provider} is not supported by this version of Innbox.")
    return adapter_for(
        config.provider,
        base_url=config.base_url,
        credentials=config.get_credentials(),
        time_zone=tenant.time_zone,
    )


def test_connection(tenant: Tenant) -> str:
    config = configuration_for(tenant)
    adapter = adapter_for_tenant(tenant, config)
    try:
        result = adapter.test_connection()
    except IntegrationError as exc:
        _mark(config, ConnectionHealth.FAILING, exc.message)
        raise
    _mark(config, ConnectionHealth.HEALTHY, "")
    return result


def sync_now(
    tenant: Tenant, *, trigger: str = "manual", still_ours: Callable[[], bool] = lambda: True
) -> SyncRun:
    today = timezone.localtime(timezone=ZoneInfo(tenant.time_zone)).date()  # the hotel's today
    return sync_reservations(
        tenant,
        adapter_for_tenant(tenant),
        today - dt.timedelta(days=SYNC_DAYS_BACK),
        today + dt.timedelta(days=SYNC_DAYS_AHEAD),
        trigger=trigger,
        still_ours=still_ours,
    )


def advance_demo(tenant: Tenant, days: int = 1) -> SyncRun:
    """Move the demo hotel's story on, then sync: guests arrive and leave."""
    config = configuration_for(tenant)
    if config is None or config.provider != DemoAdapter.provider:
        raise NotConnected("Only the demo PMS has a clock to move.")
    config.set_credentials(DemoAdapter(credentials=config.get_credentials()).advance(days))
    # The demo keeps its clock beside its (empty) credentials: moving it is no credential change
    # for the audit log.
    with acting_for_tenant(tenant.id), disable_auditlog():
        config.save(update_fields=["credentials_encrypted", "updated_at"])
    return sync_now(tenant)


def _mark(config: PMSConfiguration | None, health: str, error: str) -> None:
    if config is None:
        return
    config.health, config.last_error = health, error
    with acting_for_tenant(config.tenant_id):  # staff may test too; health is the system's
        config.save(update_fields=["health", "last_error", "updated_at"])
