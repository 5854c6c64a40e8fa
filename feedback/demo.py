"""The demo hotel's feedback (`manage.py seed_demo`): answers from recent guests, so a new user's
Feedback page and dashboard card show what a running hotel sees. Once per hotel; written as the
form writes it, dated the day after each guest left."""

from __future__ import annotations

import datetime as dt

from feedback.models import FeedbackSettings
from hotel.models import FeedbackSource, FeedbackStatus, Reservation, ReservationStatus
from tenancy.db import acting_for_tenant
from tenancy.models import Tenant

# (rating, comments, topics, source): a believable spread, mostly happy, one unhappy guest.
ANSWERS: list[tuple[int, str, dict[str, int], str]] = [
    (5, "Lovely staff, the breakfast was excellent.", {"staff": 5, "breakfast": 5}, "form"),
    (4, "Kamar bersih dan nyaman, tapi AC agak berisik.", {"room": 4, "cleanliness": 5}, "form"),
    (5, "Best nasi goreng in Bali!", {"breakfast": 5}, "chat"),
    (3, "Check-in took a while.", {"staff": 3, "room": 4}, "form"),
    (5, "Pelayanan sangat ramah, pasti kembali lagi.", {"staff": 5}, "chat"),
    (4, "Great pool, quiet room.", {"room": 4, "cleanliness": 4}, "form"),
    (2, "The room smelled of smoke and nobody changed it.", {"room": 2, "cleanliness": 2}, "form"),
    (5, "", {"room": 5, "staff": 5, "breakfast": 4}, "form"),
    (4, "Sarapannya enak, kolam renangnya bagus.", {"breakfast": 4}, "form"),
    (5, "Everything was perfect, thank you.", {}, "chat"),
]


def seed_feedback(tenant: Tenant) -> int:
    """Answers for the latest stays that ended, unless the hotel has answers already; returns
    how many were written."""
    with acting_for_tenant(tenant.id):
        FeedbackSettings.objects.get_or_create(
            tenant=tenant,
            defaults={
                "google_url": "https://g.page/r/innbox-demo-hotel/review",
                "tripadvisor_url": "https://www.tripadvisor.com/innbox-demo-hotel",
                "ask_room": True,
                "ask_cleanliness": True,
                "ask_staff": True,
                "ask_breakfast": True,
            },
        )
        if Reservation.objects.filter(
            tenant=tenant, feedback_status=FeedbackStatus.COMPLETED
        ).exists():
            return 0
        departed = list(
            Reservation.objects.filter(tenant=tenant, status=ReservationStatus.CHECKED_OUT)
            .exclude(guest__phone_e164="")
            .order_by("-check_out", "pk")[: len(ANSWERS)]
        )
        for stay, (rating, comments, topics, source) in zip(departed, ANSWERS, strict=False):
            stay.feedback_status = FeedbackStatus.COMPLETED
            stay.feedback_rating = rating
            stay.feedback_comments = comments
            stay.feedback_topics = topics
            stay.feedback_source = FeedbackSource(source)
            stay.feedback_submitted_at = dt.datetime.combine(
                stay.check_out + dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC
            )
            stay.save(
                update_fields=[
                    "feedback_status",
                    "feedback_rating",
                    "feedback_comments",
                    "feedback_topics",
                    "feedback_source",
                    "feedback_submitted_at",
                    "updated_at",
                ]
            )
        return len(departed)
