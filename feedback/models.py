"""A hotel's choices for its feedback form: the public review sites it offers every guest who
answers, and the optional topics the form asks about."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from innbox.models import TimestampedModel
from tenancy.models import TenantScopedModel


class Topic(models.TextChoices):
    """What a guest may rate besides the stay as a whole (reservation.feedback_topics keys)."""

    ROOM = "room", _("Room")
    CLEANLINESS = "cleanliness", _("Cleanliness")
    STAFF = "staff", _("Staff")
    BREAKFAST = "breakfast", _("Breakfast")


@dataclass(frozen=True)
class ReviewLink:
    """One public review site as a guest sees it on the thank-you page."""

    site: str  # "google", "tripadvisor", "booking", "other": the page's icon and test hook
    label: str
    url: str


class FeedbackSettings(TenantScopedModel, TimestampedModel):
    """feedback_settings: a settings table (owners write), one row per hotel, made on first save.
    A hotel without a row offers no review links and asks no topics."""

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="feedback_settings"
    )
    google_url = models.URLField(max_length=500, blank=True)
    tripadvisor_url = models.URLField(max_length=500, blank=True)
    booking_url = models.URLField(max_length=500, blank=True)
    # Any other site (Agoda, Traveloka, the hotel's own page...): its name as guests read it.
    other_label = models.CharField(max_length=60, blank=True)
    other_url = models.URLField(max_length=500, blank=True)
    ask_room = models.BooleanField(default=False)
    ask_cleanliness = models.BooleanField(default=False)
    ask_staff = models.BooleanField(default=False)
    ask_breakfast = models.BooleanField(default=False)

    class Meta:
        db_table = "feedback_settings"

    def __str__(self) -> str:
        return str(_("Feedback form"))

    def review_links(self) -> list[ReviewLink]:
        """The sites with an address, in the order the settings page lists them."""
        sites = [
            ReviewLink("google", "Google", self.google_url),
            ReviewLink("tripadvisor", "Tripadvisor", self.tripadvisor_url),
            ReviewLink("booking", "Booking.com", self.booking_url),
            ReviewLink("other", self.other_label, self.other_url),
        ]
        return [site for site in sites if site.url]

    def topics(self) -> list[Topic]:
        """The topics this hotel asks, in the form's order."""
        return [topic for topic in Topic if getattr(self, f"ask_{topic.value}")]
