"""Post-stay feedback: an unguessable link per reservation, a short form, answers staff can see."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from hotel import feedback
from hotel.models import FeedbackSource, FeedbackStatus, Reservation
from tenancy import lookups
from tenancy.db import acting_for_tenant

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


def submit(
    reservation: Reservation, rating: int, comments: str, topics: dict[str, int] | None = None
) -> None:
    feedback.record(reservation, rating, comments, source=FeedbackSource.FORM, topics=topics)
