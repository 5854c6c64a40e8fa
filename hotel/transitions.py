"""Who hears of a stay's status transitions: the apps above the PMS sync that act on them.

pms.sync records transitions (pre-arrival → on-stay, → checked-out...) in the same transaction
as the reservations they belong to, then calls `recorded`; each listener runs inside that
transaction, so what it writes (messaging: the jobs of the messages the transitions call for)
exists exactly when the transitions do. Listeners register in their AppConfig.ready: the sync
knows none of them (architecture.md's layers).
"""

from __future__ import annotations

from collections.abc import Callable

from hotel.models import StatusTransition
from tenancy.models import Tenant

Listener = Callable[[Tenant, list[StatusTransition]], object]
LISTENERS: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in LISTENERS:
        LISTENERS.append(listener)


def recorded(tenant: Tenant, transitions: list[StatusTransition]) -> None:
    """Tell every listener, in the caller's transaction, of transitions just stored."""
    for listener in LISTENERS:
        listener(tenant, transitions)
