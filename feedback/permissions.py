"""The feedback app's row of the permission matrix (tenancy.permissions, docs/permissions.md)."""

from django.utils.translation import gettext_lazy as _

from tenancy.permissions import Action

# Owners: the review links are the hotel's public face, and the questions change what every
# guest is asked; like templates, that is the owner's to decide.
EDIT_FEEDBACK_SETTINGS = Action(
    "edit_feedback_settings",
    _("Choose the feedback form's questions and the review sites offered to guests"),
    owners_only=True,
)
