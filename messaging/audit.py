"""What of the message templates the audit log keeps (tenancy.audit): each language's text added,
edited or deleted, automatic sending switched on or off, and the journey's timings changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from messaging.models import JourneySettings, MessageTemplate, MessageTemplateVariant
from tenancy import audit

TEXT_ADDED = audit.event("templates.text_added", _("Added a template text"))
TEXT_EDITED = audit.event("templates.text_edited", _("Edited a template text"))
TEXT_DELETED = audit.event("templates.text_deleted", _("Deleted a template text"))
SENDING_ON = audit.event("templates.sending_on", _("Switched a template's automatic sending on"))
SENDING_OFF = audit.event("templates.sending_off", _("Switched a template's automatic sending off"))
JOURNEY_CHANGED = audit.event("journey.changed", _("Changed when the guest journey's messages go"))


def _switched(template: MessageTemplate, changes: Mapping[str, Any]) -> str | None:
    if "is_active" not in changes:
        return None
    return SENDING_ON if template.is_active else SENDING_OFF


def _variant(variant: MessageTemplateVariant) -> str:
    return f"{variant.template.name} ({variant.language_code})"


JOURNEY_FIELDS = {
    "pre_arrival_days_before": _("Pre-arrival: days before arrival"),
    "pre_arrival_time": _("Pre-arrival: time"),
    "on_stay_delay_hours": _("Welcome: hours after check-in"),
    "mid_stay_time": _("Mid-stay check: time"),
    "checkout_reminder_time": _("Checkout reminder: time"),
    "post_stay_days_after": _("Post-stay: days after departure"),
    "post_stay_time": _("Post-stay: time"),
    "checkout_time": _("Checkout time"),
    "late_checkout_offer": _("Late-checkout offer"),
}


def track() -> None:
    # A template row is created the first time its page opens: that is no edit, so only the
    # switch is kept. Its texts are the content guests receive: every change is kept.
    audit.track(
        MessageTemplate,
        fields={"is_active": _("Automatic sending")},
        updated=_switched,
        describe=lambda template: template.name,
    )
    audit.track(
        MessageTemplateVariant,
        fields={
            "language_code": _("Language"),
            "content": _("Text"),
            "is_active": _("In use"),
        },
        created=TEXT_ADDED,
        updated=TEXT_EDITED,
        deleted=TEXT_DELETED,
        describe=_variant,
    )
    # The hotel's first save creates its row: that is an edit of the defaults, kept too.
    audit.track(
        JourneySettings,
        fields=JOURNEY_FIELDS,
        created=JOURNEY_CHANGED,
        updated=JOURNEY_CHANGED,
        describe=lambda _settings: str(_("Guest journey")),
    )
