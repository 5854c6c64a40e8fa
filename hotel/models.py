"""Guests and their reservations, as synced from the hotel's PMS."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models.functions import Trim, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from innbox.models import PublicIdMixin, TimestampedModel
from tenancy.models import TenantScopedModel


class Guest(PublicIdMixin, TenantScopedModel, TimestampedModel):
    # NULL (not ""): walk-ins without a PMS id stay outside the partial unique constraint.
    pms_guest_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    # E.164 (+6281234567890); WhatsApp's chat id is derived from it.
    phone_e164 = models.CharField(max_length=20, blank=True)
    # The number as the PMS sent it: kept when it cannot be normalised, so staff can see and fix
    # it in the PMS instead of wondering why the guest gets no messages.
    phone_raw = models.CharField(max_length=64, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    # ISO 639-1; empty means "use the hotel's default language".
    language = models.CharField(max_length=8, blank=True)
    tier = models.CharField(max_length=32, blank=True)
    points = models.PositiveIntegerField(default=0)
    whatsapp_chat_id = models.CharField(max_length=64, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=32, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # Set when the guest's personal data was removed (retention purge or erasure): the row stays
    # for the hotel's counts, with nothing left that names the person (docs/compliance.md).
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "guests"
        constraints = [
            # A re-sync updates the guest it created; it never makes a second one.
            models.UniqueConstraint(
                fields=["tenant", "pms_guest_id"],
                condition=models.Q(pms_guest_id__isnull=False),
                name="guests_unique_pms_id",
            ),
        ]
        indexes = [
            # Inbound WhatsApp messages are matched to a guest by phone.
            models.Index(fields=["tenant", "phone_e164"], name="guests_tenant_phone_idx"),
            # The orderings of /guests/ end with the primary key (dashboard.paging): each index
            # below ends with it too, so a late page's keys are read from the index alone, in
            # order, with no sort of every guest (hotel/migrations/0019).
            # /guests/ sorts by name.
            models.Index(
                fields=["tenant", "last_name", "first_name", "id"], name="guests_tenant_name_idx"
            ),
            # /guests/?sort=-joined (newest first) and its pages, without sorting every guest.
            models.Index(fields=["tenant", "created_at", "id"], name="guests_tenant_joined_idx"),
            # /guests/?sort=-points: the most loyal guests first.
            models.Index(fields=["tenant", "points", "id"], name="guests_tenant_points_idx"),
            # /guests/?sort=country: by country, then by name within it.
            models.Index(
                fields=["tenant", "country_code", "last_name", "first_name", "id"],
                name="guests_tenant_country_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or f"guest {self.public_id}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def phone_unusable(self) -> bool:
        """The PMS gave a number, but none WhatsApp can reach: messages to this guest can't go."""
        return bool(self.phone_raw.strip()) and not self.phone_e164


class ReservationStatus(models.TextChoices):
    """The internal lifecycle every PMS status maps to (docs/status-mapping.md)."""

    PRE_ARRIVAL = "pre-arrival", _("Pre-arrival")
    ON_STAY = "on-stay", _("On stay")
    CHECKED_OUT = "checked-out", _("Checked out")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no-show", _("No-show")


class FeedbackStatus(models.TextChoices):
    NONE = "none", _("Not requested")
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")


class FeedbackSource(models.TextChoices):
    """Where a guest's feedback came from: the web form, or their words in the chat."""

    FORM = "form", _("Feedback form")
    CHAT = "chat", _("WhatsApp reply")


def new_chat_token() -> str:
    """96 random bits in 16 URL-safe characters: short enough for a chat, too many to guess."""
    return secrets.token_urlsafe(12)


class Reservation(PublicIdMixin, TenantScopedModel, TimestampedModel):
    guest = models.ForeignKey(Guest, on_delete=models.PROTECT, related_name="reservations")
    pms_reservation_id = models.CharField(max_length=64)
    # The PMS's code, for staff. Not proof of who writes: PMS codes are short or sequential.
    booking_code = models.CharField(max_length=32, blank=True)
    # The code as searched (hotel.search.normalised_code): kept by the database on every write,
    # so a sync's bulk update cannot leave it behind. Compared with `=`, which PostgreSQL may
    # use in an index under row-level security, where `upper(booking_code)` may not be.
    booking_code_normalised = models.GeneratedField(
        expression=Upper(Trim("booking_code")),
        output_field=models.CharField(max_length=32),
        db_persist=True,
    )
    # In this stay's click-to-chat link: the guest who sends it back has their chat linked to
    # the stay (whatsapp/click_to_chat.py).
    chat_token = models.CharField(max_length=16, unique=True, default=new_chat_token)
    room_number = models.CharField(max_length=16, blank=True)
    room_type = models.CharField(max_length=100, blank=True)
    check_in = models.DateField()
    check_out = models.DateField()
    adults = models.PositiveSmallIntegerField(default=1)
    children = models.PositiveSmallIntegerField(default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    source = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.PRE_ARRIVAL
    )
    pms_status = models.CharField(max_length=64, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the PMS says the last change we applied happened (a push's `updated_at`, an
    # adapter's modification time): an older event arriving late changes nothing. NULL when
    # the PMS never told us.
    pms_changed_at = models.DateTimeField(null=True, blank=True)
    # When the guest actually left (the change to checked-out); NULL until then, and when the
    # PMS gave us the stay already checked out.
    departed_at = models.DateTimeField(null=True, blank=True)
    feedback_status = models.CharField(
        max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.NONE
    )
    feedback_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback_comments = models.TextField(blank=True)
    feedback_submitted_at = models.DateTimeField(null=True, blank=True)
    # Per-topic ratings the hotel asks for (topic key -> 1..5), beside the overall rating.
    feedback_topics = models.JSONField(default=dict, blank=True)
    feedback_source = models.CharField(max_length=8, choices=FeedbackSource.choices, blank=True)
    # SHA-256 of the token in the guest's feedback link; NULL until the post-stay message.
    feedback_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        db_table = "reservations"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "pms_reservation_id"], name="reservations_unique_pms_id"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReservationStatus.values),
                name="reservations_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(feedback_status__in=FeedbackStatus.values),
                name="reservations_feedback_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(feedback_rating__isnull=True)
                | models.Q(feedback_rating__gte=1, feedback_rating__lte=5),
                name="reservations_feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(feedback_source__in=[*FeedbackSource.values, ""]),
                name="reservations_feedback_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(check_out__gte=models.F("check_in")),
                name="reservations_check_out_after_check_in",
            ),
        ]
        indexes = [
            # Like the guests' (above), the orderings of /reservations/ end with the primary key,
            # and so do the indexes that serve them (hotel/migrations/0019).
            # /reservations/ tabs: a tenant's reservations by status, by arrival.
            models.Index(
                fields=["tenant", "status", "check_in", "id"], name="reservations_status_in_idx"
            ),
            # /reservations/ on-stay tab (next departures first) and checked-out tab (latest
            # departures first), and ?sort=departure in any tab.
            models.Index(
                fields=["tenant", "status", "check_out", "id"], name="reservations_status_out_idx"
            ),
            # The "All" tab by arrival or departure, dashboard arrivals/departures and the
            # pre-arrival scheduler.
            models.Index(fields=["tenant", "check_in", "id"], name="reservations_check_in_idx"),
            models.Index(fields=["tenant", "check_out", "id"], name="reservations_check_out_idx"),
            # The post-stay follow-up scans pending feedback.
            models.Index(fields=["tenant", "feedback_status"], name="reservations_feedback_idx"),
            models.Index(fields=["tenant", "booking_code"], name="reservations_booking_code_idx"),
            # The reservations search: a code typed in any case (hotel/search.py).
            models.Index(
                fields=["tenant", "booking_code_normalised"], name="reservations_code_norm_idx"
            ),
            # The post-stay scheduler finds early departures by when they left.
            models.Index(fields=["tenant", "departed_at"], name="reservations_departed_idx"),
        ]

    def __str__(self) -> str:
        return f"reservation {self.pms_reservation_id} ({self.status})"

    def departure_day(self, zone: ZoneInfo) -> dt.date:
        """The day the guest left, in `zone`: the planned day unless they left earlier. A
        check-out we learn of late (a sync that was down) never moves it later."""
        if self.departed_at is None:
            return self.check_out
        return min(self.departed_at.astimezone(zone).date(), self.check_out)


class StatusTransition(TenantScopedModel):
    """A reservation moved from one internal status to another: what automations react to."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=16, choices=ReservationStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReservationStatus.choices)
    occurred_at = models.DateTimeField(auto_now_add=True)
    # "sync:demo", "sync:mews", "webhook"...: where we learnt it.
    source = models.CharField(max_length=32)
    sync_run = models.ForeignKey(
        "pms.SyncRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transition_rows",
    )

    class Meta:
        db_table = "reservation_transitions"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_status__in=ReservationStatus.values),
                name="reservation_transitions_to_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")),
                name="reservation_transitions_change_something",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="transitions_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation_id}: {self.from_status or 'new'} -> {self.to_status}"


class ConsentChange(models.TextChoices):
    CONSENT_GIVEN = "consent-given", _("Consent given")
    OPTED_OUT = "opted-out", _("Opted out")
    OPTED_IN = "opted-in", _("Opted back in")


class ConsentSource(models.TextChoices):
    """Where Innbox learnt of a change: the guest page shows it beside each change."""

    PMS = "pms", _("PMS field")
    CHAT_TOKEN = "chat-token", _("Stay's WhatsApp link")
    STAFF = "staff", _("Staff entry")
    GUEST_MESSAGE = "guest-message", _("The guest's own words")


class ConsentEvent(TenantScopedModel):
    """consent_events: every change of a guest's consent or opt-out, with where it came from.

    `Guest.consent_at` and `Guest.opted_out_at` say where a guest stands now (what the worker
    checks before a send); these rows say how they got there, for the guest page and a data
    subject's export. Written by `hotel.consent.record_consent_change`, in the transaction of
    the change itself."""

    guest = models.ForeignKey(Guest, on_delete=models.CASCADE, related_name="consent_events")
    occurred_at = models.DateTimeField(default=timezone.now)
    change = models.CharField(max_length=16, choices=ConsentChange.choices)
    source = models.CharField(max_length=16, choices=ConsentSource.choices)
    # The guest's message that made the change (STOP, the stay's link); a string reference, as
    # StatusTransition.sync_run: hotel imports nothing of messaging.
    message = models.ForeignKey(
        "messaging.MessageLog",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A staff entry: who made it.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the guest was shown or told with the change: the hotel's words (the link's greeting,
    # the confirmation Innbox sent, what staff said they told the guest), not the guest's.
    text_shown = models.TextField(blank=True)
    # Staff's own note on an entry; may name the guest, so it is erased with them.
    note = models.TextField(blank=True)

    class Meta:
        db_table = "consent_events"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(change__in=ConsentChange.values),
                name="consent_events_change_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ConsentSource.values),
                name="consent_events_source_valid",
            ),
        ]
        indexes = [
            # The guest page's history, newest first.
            models.Index(fields=["guest", "-occurred_at"], name="consent_events_guest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.guest_id}: {self.change} ({self.source})"
