"""The inbox's row of the permission matrix (tenancy.permissions, docs/permissions.md)."""

from django.utils.translation import gettext_lazy as _

from tenancy.permissions import Action

USE_INBOX = Action(
    "use_inbox",
    _(
        "Read and answer guests in the inbox: take over, hand back, assign, close, notes and "
        "saved replies"
    ),
    owners_only=False,
)
