"""The concierge's rows of the permission matrix (tenancy.permissions, docs/permissions.md)."""

from django.utils.translation import gettext_lazy as _

from tenancy.permissions import Action

WORK_BOARDS = Action(
    "work_boards",
    _("See room-service orders and housekeeping requests, and move them along"),
    owners_only=False,
)
SEE_CONCIERGE = Action(
    "see_concierge",
    _("Read the room-service menu and the concierge's knowledge, and try a question"),
    owners_only=False,
)
EDIT_CONCIERGE = Action(
    "edit_concierge",
    _("Change the room-service menu and the concierge's knowledge"),
    owners_only=True,
)
SET_GUEST_UPDATES = Action(
    "set_guest_updates",
    _("Switch the guests' WhatsApp updates from the boards on or off"),
    owners_only=True,
)
CONFIGURE_CONCIERGE = Action(
    "configure_concierge",
    _("See which brain answers guests (an LLM or the embedded engine) and test the model"),
    owners_only=True,
)
