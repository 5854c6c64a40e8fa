"""What of the WhatsApp connection the audit log keeps (tenancy.audit): pairing and logging out
a phone (sessions.connect / disconnect record them) and the sending pace."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy import audit
from whatsapp.models import WahaConfiguration

CONNECTED = audit.event("whatsapp.connected", _("Started connecting WhatsApp"))
DISCONNECTED = audit.event("whatsapp.disconnected", _("Disconnected WhatsApp"))
PACE_CHANGED = audit.event("whatsapp.pace_changed", _("Changed the WhatsApp sending pace"))


def track() -> None:
    # Status, phone and pacing tokens change all day (webhooks, sends): not the owner's doing.
    audit.track(
        WahaConfiguration,
        fields={"sends_per_minute": _("Messages per minute")},
        updated=PACE_CHANGED,
        describe=lambda config: config.session_name,
    )
