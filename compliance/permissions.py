"""Personal data's rows of the permission matrix (docs/permissions.md) and of the audit log."""

from django.utils.translation import gettext_lazy as _

from tenancy import audit
from tenancy.permissions import Action

MANAGE_PERSONAL_DATA = Action(
    "manage_personal_data",
    _("Export everything held about a guest, and erase a guest's personal data"),
    owners_only=True,
)
RECORD_CONSENT = Action(
    "record_consent",
    _("Record a guest's consent or opt-out on the guest page (opting back in: owners)"),
    owners_only=False,
)
# The guest is named by their public id only: the audit log is read by owners for years, the
# guest's name may be erased long before.
GUEST_EXPORTED = audit.event("compliance.guest_exported", _("Exported a guest's data"))
GUEST_ERASED = audit.event("compliance.guest_erased", _("Erased a guest's personal data"))
CONSENT_OVERRIDDEN = audit.event(
    "compliance.consent_recorded", _("Recorded a guest's consent or opt-out by hand")
)
