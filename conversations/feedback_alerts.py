"""A low feedback rating alerts staff: the guest's conversation is escalated in the inbox, its
reason naming the rating (and the start of what the guest wrote). Registered as a
hotel.feedback handler in ConversationsConfig.ready, so the form (the feedback app, which may not
import this one) and the concierge's `update_guest_feedback` alert alike. Ratings 3 to 5 do not.
The guest is offered the review links whatever the rating (docs/feedback.md): the alert is the
only difference a low rating makes."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from conversations import services
from hotel.feedback import is_low
from hotel.models import Reservation
from innbox.logs import get_logger
from messaging.services import primary_language

log = get_logger(__name__)
LOW_RATING = gettext_noop("Low feedback rating: %(reason)s")
COMMENT_SHOWN = 120


def low_rating_reason(reservation: Reservation) -> str:
    """What the inbox shows beside "Escalated", as written: in the hotel's language where the
    staff screens have it (the reason is stored text, not translated when shown)."""
    language = primary_language(reservation.tenant.default_language) or "en"
    with translation.override(language):
        reason = gettext("%(rating)s/5 (%(source)s)") % {
            "rating": reservation.feedback_rating,
            "source": reservation.get_feedback_source_display(),
        }
    comments = " ".join(reservation.feedback_comments.split())
    if len(comments) > COMMENT_SHOWN:
        comments = comments[: COMMENT_SHOWN - 1] + "…"
    return f"{reason}: “{comments}”" if comments else reason


def alert_on_low_rating(reservation: Reservation) -> None:
    """Runs inside the hotel's context, after the answer is stored (hotel.feedback.record)."""
    if not is_low(reservation.feedback_rating):
        return
    tenant = reservation.tenant
    # A guest who never wrote gets their conversation now (their number's chat), so the alert
    # has a place in the inbox; a guest without a number has none: the dashboard still shows it.
    conversation = services.of_guest(tenant, reservation.guest, create=True)
    if conversation is None:
        log.info("low_rating_without_conversation", reservation=str(reservation.public_id))
        return
    services.escalate(tenant, conversation, low_rating_reason(reservation), event=LOW_RATING)
