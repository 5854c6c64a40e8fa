"""The PMS vendors Innbox speaks to: one module each, listed here explicitly."""

from __future__ import annotations

from typing import Any

from pms.adapters.base import PMSAdapter
from pms.adapters.demo import DemoAdapter
from pms.adapters.mews import MewsAdapter
from pms.adapters.qloapps import QloAppsAdapter

ADAPTERS: dict[str, type[PMSAdapter]] = {
    DemoAdapter.provider: DemoAdapter,
    MewsAdapter.provider: MewsAdapter,
    QloAppsAdapter.provider: QloAppsAdapter,
}


def adapter_for(
    provider: str,
    *,
    base_url: str = "",
    credentials: dict[str, Any] | None = None,
    time_zone: str = "UTC",
) -> PMSAdapter:
    return ADAPTERS[provider](base_url=base_url, credentials=credentials, time_zone=time_zone)
