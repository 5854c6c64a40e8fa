from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        from django.db.models import Q

        from feedback import audit, permissions  # noqa: F401 - the matrix lists its action
        from feedback.services import issue_link
        from hotel.models import FeedbackStatus, Reservation
        from hotel.personal_data import Holding, register
        from messaging.services import register_feedback_link_issuer

        # Post-stay messages carry a link to this app's form ({{feedbackLink}}).
        register_feedback_link_issuer(issue_link)
        # Owners' changes of the review links and the form's questions are audited.
        audit.track()
        # The answers live on the reservation: the rating stays for the hotel's average, the
        # guest's words go, and so does the link (its form greets the guest by name).
        register(
            Holding(
                model=Reservation,
                name="feedback",
                guest="guest",
                export=[
                    "public_id",
                    "feedback_status",
                    "feedback_rating",
                    "feedback_comments",
                    "feedback_topics",
                    "feedback_source",
                    "feedback_submitted_at",
                ],
                erase={"feedback_comments": "", "feedback_token_hash": None},
                keep={
                    "feedback_topics": "ratings per topic (room, staff...) and nothing the "
                    "guest wrote: kept, like the rating, for the hotel's scores",
                },
                where=~Q(feedback_status=FeedbackStatus.NONE),
            )
        )
