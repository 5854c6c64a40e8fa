"""Post-stay feedback: an unguessable link per reservation, a short form, answers staff can see."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackSettings
from hotel import feedback
from hotel.models import FeedbackSource, FeedbackStatus, Reservation
from tenancy import lookups
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

LOW_RATINGS_SHOWN_FOR = dt.timedelta(days=30)  # on the dashboard
EDIT_WINDOW = dt.timedelta(days=1)  # a guest may change their answer for a day
LINK_LIFETIME = dt.timedelta(days=30)  # after checkout


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(reservation: Reservation) -> str:
    """A fresh link for this reservation's guest; call inside the hotel's context."""
    token = secrets.token_urlsafe(24)
    reservation.feedback_token_hash = _hash(token)
    if reservation.feedback_status != FeedbackStatus.COMPLETED:
        reservation.feedback_status = FeedbackStatus.PENDING
    reservation.save(update_fields=["feedback_token_hash", "feedback_status", "updated_at"])
    return f"{settings.APP_URL}{reverse('feedback_form', args=[token])}"


def find(token: str) -> Reservation | None:
    if not token or len(token) > 64:
        return None
    digest = _hash(token)
    found = lookups.reservation_by_feedback_token(digest)
    if found is None:
        return None
    reservation_id, tenant_id = found
    with acting_for_tenant(tenant_id):
        return Reservation.objects.select_related("guest", "tenant").get(pk=reservation_id)


@dataclass(frozen=True)
class FormState:
    open: bool
    reason: str = ""


def state(reservation: Reservation, now: dt.datetime | None = None) -> FormState:
    now = now or timezone.now()
    if reservation.feedback_submitted_at and now - reservation.feedback_submitted_at > EDIT_WINDOW:
        return FormState(False, "closed")
    checkout = dt.datetime.combine(reservation.check_out, dt.time.max, tzinfo=dt.UTC)
    if now - checkout > LINK_LIFETIME and not reservation.feedback_submitted_at:
        return FormState(False, "expired")
    return FormState(True)


def edit_until(reservation: Reservation) -> dt.datetime | None:
    """Until when an answer may still be changed (None before the first answer)."""
    if reservation.feedback_submitted_at is None:
        return None
    return reservation.feedback_submitted_at + EDIT_WINDOW


def answered(reservation: Reservation) -> bool:
    return (
        reservation.feedback_status == FeedbackStatus.COMPLETED
        and reservation.feedback_rating is not None
    )


def recent_low_ratings(reservations: QuerySet[Reservation]) -> QuerySet[Reservation]:
    """The stays rated 2 or less in the last 30 days, newest first, from the caller's
    (tenant-scoped) reservations: the dashboard's card."""
    return (
        reservations.filter(
            feedback_status=FeedbackStatus.COMPLETED,
            feedback_rating__lte=feedback.LOW_RATING,
            feedback_submitted_at__gte=timezone.now() - LOW_RATINGS_SHOWN_FOR,
        )
        .select_related("guest")
        .order_by("-feedback_submitted_at", "-pk")
    )


def settings_for(tenant: Tenant) -> FeedbackSettings:
    """The hotel's choices; an unsaved default (no links, no topics) until an owner saves some.
    Call inside the hotel's context."""
    found = FeedbackSettings.objects.filter(tenant=tenant).first()
    return found if found is not None else FeedbackSettings(tenant=tenant)


def submit(
    reservation: Reservation, rating: int, comments: str, topics: dict[str, int] | None = None
) -> None:
    feedback.record(reservation, rating, comments, source=FeedbackSource.FORM, topics=topics)
