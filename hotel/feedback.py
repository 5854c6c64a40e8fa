"""A guest's feedback on their stay, however it arrives: the web form (the feedback app) or their
own words in the chat (the concierge's `update_guest_feedback`). Both write the same fields
through `record`, so the hotel's averages, alerts and review links treat them alike.

Apps that must act on feedback (an alert to staff for a low rating) register a handler; it runs
after the answer is stored, inside the hotel's context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.utils import timezone

from hotel.models import FeedbackSource, FeedbackStatus, Reservation
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

MAX_COMMENTS = 4000
# A rating at or below this alerts staff (the guest still gets the review links: no gating).
LOW_RATING = 2

FeedbackHandler = Callable[[Reservation], None]
HANDLERS: list[FeedbackHandler] = []

# The hotel's public review sites as (name, address), offered to every guest who answers
# whatever the rating (no gating); the feedback app, which keeps them, registers the reader.
ReviewLinks = Callable[[Tenant], list[tuple[str, str]]]
REVIEW_LINKS: list[ReviewLinks] = []


def register_review_links(reader: ReviewLinks) -> None:
    REVIEW_LINKS[:] = [reader]


def review_links(tenant: Tenant) -> list[tuple[str, str]]:
    """The hotel's review sites, [] when none are set (or no app keeps them)."""
    return [link for reader in REVIEW_LINKS for link in reader(tenant)]


def on_feedback(handler: FeedbackHandler) -> None:
    if handler not in HANDLERS:
        HANDLERS.append(handler)


def is_low(rating: int | None) -> bool:
    return rating is not None and rating <= LOW_RATING


def record(
    reservation: Reservation,
    rating: int,
    comments: str,
    *,
    source: FeedbackSource,
    topics: Mapping[str, int] | None = None,
) -> None:
    """Store the guest's answer on their reservation, then tell the handlers. A later answer
    replaces the earlier one; the first answer's time stays."""
    if not 1 <= rating <= 5:
        raise ValueError(f"a rating is 1 to 5, not {rating}")
    reservation.feedback_rating = rating
    reservation.feedback_comments = comments.strip()[:MAX_COMMENTS]
    reservation.feedback_topics = {
        key: value for key, value in (topics or {}).items() if 1 <= value <= 5
    }
    reservation.feedback_source = source
    reservation.feedback_status = FeedbackStatus.COMPLETED
    if reservation.feedback_submitted_at is None:
        reservation.feedback_submitted_at = timezone.now()
    with acting_for_tenant(reservation.tenant_id):
        reservation.save(
            update_fields=[
                "feedback_rating",
                "feedback_comments",
                "feedback_topics",
                "feedback_source",
                "feedback_status",
                "feedback_submitted_at",
                "updated_at",
            ]
        )
        for handler in HANDLERS:
            handler(reservation)
