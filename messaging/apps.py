from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from messaging.defaults import seed_default_templates
        from tenancy.services import register_new_hotel_setup

        # A hotel created on the onboarding page starts with the default templates.
        register_new_hotel_setup(seed_default_templates)
