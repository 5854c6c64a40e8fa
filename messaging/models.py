"""What guests receive: templates per trigger with a variant per language, and the message log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

from innbox.models import PublicIdMixin, TimestampedModel
from tenancy.models import TenantScopedModel


class Trigger(models.TextChoices):
    """The guest journey's touchpoints, in the order a guest meets them."""

    BOOKED = "booked", _("Booking confirmation")
    PRE_ARRIVAL = "pre-arrival", _("Pre-arrival")
    ON_STAY = "on-stay", _("On stay")
    MID_STAY = "mid-stay", _("Mid-stay check")
    CHECKOUT = "checkout", _("Checkout reminder")
    POST_STAY = "post-stay", _("Post-stay")


# The welcome goes within a day of check-in (messaging.triggers plans it in the insert).
MAX_ON_STAY_DELAY_HOURS = 24


class JourneySettings(TenantScopedModel, TimestampedModel):
    """When each touchpoint goes, per hotel (docs/messaging.md, "The guest journey"). Whether it
    goes at all is its template's switch (MessageTemplate.is_active). A hotel without a row has
    the defaults: messaging.journey.settings_for."""

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="journey_settings"
    )
    # Before arrival and after departure the guest is at home: their clock (messaging.timing).
    pre_arrival_days_before = models.PositiveSmallIntegerField(default=1)
    pre_arrival_time = models.TimeField(default=dt.time(10, 0))
    on_stay_delay_hours = models.PositiveSmallIntegerField(default=0)
    # During the stay the hotel's clock.
    mid_stay_time = models.TimeField(default=dt.time(9, 0))
    checkout_reminder_time = models.TimeField(default=dt.time(18, 0))
    post_stay_days_after = models.PositiveSmallIntegerField(default=1)
    post_stay_time = models.TimeField(default=dt.time(10, 0))
    # What the checkout reminder says: {{checkoutTime}} and {{lateCheckoutOffer}}.
    checkout_time = models.TimeField(default=dt.time(12, 0))
    late_checkout_offer = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "journey_settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pre_arrival_days_before__gte=1, pre_arrival_days_before__lte=30),
                name="journey_settings_pre_arrival_days_1_to_30",
            ),
            models.CheckConstraint(
                condition=models.Q(on_stay_delay_hours__lte=MAX_ON_STAY_DELAY_HOURS),
                name="journey_settings_on_stay_delay_at_most_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(post_stay_days_after__gte=1, post_stay_days_after__lte=30),
                name="journey_settings_post_stay_days_1_to_30",
            ),
        ]

    def __str__(self) -> str:
        return f"journey settings of {self.tenant_id}"


class MessageTemplate(PublicIdMixin, TenantScopedModel, TimestampedModel):
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "message_templates"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "trigger"], name="message_templates_one_per_trigger"
            ),
            models.CheckConstraint(
                condition=models.Q(trigger__in=Trigger.values),
                name="message_templates_trigger_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MessageTemplateVariant(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """One language of a template. Carries its tenant too, so row-level security is one column."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="variants")
    language_code = models.CharField(max_length=8)
    content = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "message_template_variants"
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language_code"],
                name="message_template_variants_one_per_language",
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("language_code"), 2),
                name="message_template_variants_language_code_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} [{self.language_code}]"

    def save(self, *args: object, **kwargs: object) -> None:
        # A variant always lives in its template's hotel; never trust a caller to repeat it.
        self.tenant_id = self.template.tenant_id
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class MessageOrigin(models.TextChoices):
    """Why an outbound message was sent: a trigger, a person, or the agent."""

    BOOKED = "booked", _("Booking confirmation")
    PRE_ARRIVAL = "pre-arrival", _("Pre-arrival")
    ON_STAY = "on-stay", _("On stay")
    MID_STAY = "mid-stay", _("Mid-stay check")
    CHECKOUT = "checkout", _("Checkout reminder")
    POST_STAY = "post-stay", _("Post-stay")
    MANUAL = "manual", _("Manual")
    AGENT = "agent", _("AI agent")
    # Typed on the hotel's phone itself (WAHA reports it as the hotel's own message).
    HOTEL_PHONE = "phone", _("Hotel's phone")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    RECEIVED = "received", _("Received")  # inbound


class MessageLog(PublicIdMixin, TenantScopedModel, TimestampedModel):
    """message_logs: every message in and out, with its delivery state."""

    direction = models.CharField(max_length=8, choices=Direction.choices)
    guest = models.ForeignKey(
        "hotel.Guest", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    reservation = models.ForeignKey(
        "hotel.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    job = models.ForeignKey(
        "automation.AutomationJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    origin = models.CharField(max_length=16, choices=MessageOrigin.choices, blank=True)
    # The staff member who wrote an outbound message (the inbox shows their name).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language_code = models.CharField(max_length=8, blank=True)
    body = models.TextField()
    chat_id = models.CharField(max_length=64, blank=True)
    # NULL (not ""): unsent messages stay outside the partial unique constraint.
    waha_message_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    failure_reason = models.TextField(blank=True)
    # Stamped just before the WAHA call: from then on the guest may have the message, so a retry
    # looks it up in WAHA's chat history before sending again (messaging.jobs).
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Inbound only: when someone of the hotel saw it ("unread guest messages").
    staff_read_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "message_logs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=Direction.values),
                name="message_logs_direction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values),
                name="message_logs_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=[*MessageOrigin.values, ""]),
                name="message_logs_origin_valid",
            ),
            # An ack or a redelivered inbound message finds exactly one row.
            models.UniqueConstraint(
                fields=["tenant", "waha_message_id"],
                condition=models.Q(waha_message_id__isnull=False),
                name="message_logs_unique_waha_id",
            ),
        ]
        indexes = [
            # /messages/ newest first, and the dashboard's messages-per-day chart.
            models.Index(fields=["tenant", "-created_at"], name="message_logs_recent_idx"),
            models.Index(
                fields=["tenant", "status", "-created_at"], name="message_logs_status_idx"
            ),
            # A conversation's thread (conversations): its chat, and its guest's unsent ones.
            models.Index(fields=["tenant", "chat_id", "created_at"], name="message_logs_chat_idx"),
            models.Index(fields=["guest", "created_at"], name="message_logs_guest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} message {self.public_id} ({self.status})"
