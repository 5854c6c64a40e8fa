"""Tenancy actions shared by views, commands and tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from auditlog.context import disable_auditlog
from django.db import transaction

from tenancy.db import acting_for_tenant, set_db_context
from tenancy.models import Membership, Role, Tenant, User

# What a hotel created on the onboarding page gets set up with, by the apps above tenancy that
# own it (messaging's default templates), registered in their AppConfig.ready: tenancy imports
# none of them (architecture.md's layers).
NEW_HOTEL_SETUP: list[Callable[[Tenant], None]] = []


def register_new_hotel_setup(step: Callable[[Tenant], None]) -> None:
    if step not in NEW_HOTEL_SETUP:
        NEW_HOTEL_SETUP.append(step)


def set_up_new_hotel(tenant: Tenant) -> None:
    """Run every registered set-up step for a hotel its owner just created."""
    # Setting up is no one's edit: the default templates it adds are not audit events.
    with acting_for_tenant(tenant.id, role="owner"), disable_auditlog():
        for step in NEW_HOTEL_SETUP:
            step(tenant)


def create_tenant_with_owner(
    owner: User,
    *,
    name: str,
    time_zone: str = "Asia/Jakarta",
    default_language: str = "en",
    country_code: str = "ID",
    room_count: int | None = None,
) -> Tenant:
    """Create a hotel and make `owner` its owner, in one transaction.

    The database refuses a second membership for the same user (tenant_users.user_id is unique),
    so two racing requests cannot give one user two hotels.
    """
    tenant_id = uuid.uuid4()
    with transaction.atomic():
        set_db_context(tenant_id=tenant_id, role="owner", user_id=owner.pk)
        tenant = Tenant.objects.create(
            id=tenant_id,
            name=name,
            time_zone=time_zone,
            default_language=default_language,
            country_code=country_code,
            room_count=room_count,
        )
        Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    return tenant
