"""Tenancy actions shared by views, commands and tests."""

from __future__ import annotations

import uuid

from django.db import transaction

from tenancy.db import set_db_context
from tenancy.models import Membership, Role, Tenant, User


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
