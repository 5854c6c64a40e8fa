"""What of the PMS connection the audit log keeps (tenancy.audit): the connection's settings and,
as "changed" only, its credentials and webhook secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from pms.models import PMSConfiguration
from tenancy import audit

CONNECTED = audit.event("pms.connected", _("Connected the PMS"))
CHANGED = audit.event("pms.changed", _("Changed the PMS connection"))
SECRET_ROTATED = audit.event("pms.webhook_secret_rotated", _("Created a new PMS webhook secret"))
DISCONNECTED = audit.event("pms.disconnected", _("Removed the PMS connection"))


def _updated(config: PMSConfiguration, changes: Mapping[str, Any]) -> str:
    return SECRET_ROTATED if set(changes) == {"webhook_secret_encrypted"} else CHANGED


def track() -> None:
    audit.track(
        PMSConfiguration,
        fields={
            "provider": _("PMS"),
            "base_url": _("Address"),
            "credentials_encrypted": _("Credentials"),
            "webhook_secret_encrypted": _("Webhook secret"),
            "is_active": _("Active"),
        },
        secret_fields=("credentials_encrypted", "webhook_secret_encrypted"),
        created=CONNECTED,
        updated=_updated,
        deleted=DISCONNECTED,
        describe=lambda config: config.get_provider_display(),
    )
