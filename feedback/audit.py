"""What of the feedback settings the audit log keeps (tenancy.audit): every change of the review
links guests are sent to and of the questions they are asked."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from feedback.models import FeedbackSettings
from tenancy import audit

SETTINGS_CHANGED = audit.event("feedback.settings_changed", _("Changed the feedback form"))


def track() -> None:
    audit.track(
        FeedbackSettings,
        fields={
            "google_url": _("Google review link"),
            "tripadvisor_url": _("Tripadvisor review link"),
            "booking_url": _("Booking.com review link"),
            "other_label": _("Other review site"),
            "other_url": _("Other review link"),
            "ask_room": _("Asks about the room"),
            "ask_cleanliness": _("Asks about cleanliness"),
            "ask_staff": _("Asks about the staff"),
            "ask_breakfast": _("Asks about breakfast"),
        },
        created=SETTINGS_CHANGED,
        updated=SETTINGS_CHANGED,
    )
