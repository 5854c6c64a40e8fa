from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        from feedback.services import issue_link
        from messaging.services import register_feedback_link_issuer

        # Post-stay messages carry a link to this app's form ({{feedbackLink}}).
        register_feedback_link_issuer(issue_link)
