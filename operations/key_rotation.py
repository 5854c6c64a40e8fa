"""Re-encrypt every stored secret with the first key of CREDENTIALS_ENCRYPTION_KEYS.

Rotation (docs/runbook.md, "Key rotation"): put the new key first and keep the old one after it
(both decrypt, the first encrypts), run `manage.py rotate_encryption_key`, then remove the old key.
A secret no configured key can read is left as it is and named, so nothing is lost by a mistake
in the keys; its owner re-enters it on the PMS page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model

from automation.scheduler import scheduled_tenants
from innbox import crypto
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

# Every column that holds a crypto.encrypt_json token, by model. tests/test_key_rotation.py fails
# when a model gains an `*_encrypted` column that is not listed here.
ENCRYPTED_COLUMNS: dict[type[Model], tuple[str, ...]] = {
    PMSConfiguration: ("credentials_encrypted", "webhook_secret_encrypted"),
}


@dataclass
class Rotation:
    hotels: int = 0
    rotated: int = 0
    unreadable: list[str] = field(default_factory=list)


def rotate_all() -> Rotation:
    """Each hotel in its own transaction, as the system acting for it (RLS applies on PostgreSQL,
    so this works as the owner, the app or the worker role)."""
    rotation = Rotation()
    for tenant in scheduled_tenants():
        rotation.hotels += 1
        with acting_for_tenant(tenant.id):
            for model, columns in ENCRYPTED_COLUMNS.items():
                _rotate_rows(model, columns, tenant, rotation)
    return rotation


def _rotate_rows(
    model: type[Model], columns: tuple[str, ...], tenant: Tenant, rotation: Rotation
) -> None:
    rows = model._default_manager.filter(tenant_id=tenant.id).select_for_update()
    for row in rows.values("pk", *columns):
        changed: dict[str, str] = {}
        for column in columns:
            if not row[column]:
                continue
            try:
                changed[column] = crypto.rotate(row[column])
            except crypto.UnreadableSecret:
                rotation.unreadable.append(
                    f"{model._meta.db_table}.{column} of {tenant.name} ({tenant.public_id})"
                )
        if changed:
            model._default_manager.filter(pk=row["pk"]).update(**changed)
            rotation.rotated += len(changed)
