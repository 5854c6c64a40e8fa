from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        """What messaging hangs on the apps below it (none of them imports messaging)."""
        from automation import queue, scheduler
        from automation.models import JobKind
        from hotel import personal_data, transitions
        from messaging import audit, delivery, holdings, jobs, schedule, triggers
        from messaging.defaults import seed_default_templates
        from tenancy.services import register_new_hotel_setup
        from whatsapp import inbound

        queue.register_handler(JobKind.SEND_MESSAGE, "messaging.jobs.run_send_message")
        queue.on_cancelled(jobs.fail_messages_of_cancelled_jobs)
        scheduler.register_periodic_task(schedule.pre_arrivals)
        scheduler.register_periodic_task(schedule.mid_stays)
        scheduler.register_periodic_task(schedule.checkout_reminders)
        scheduler.register_periodic_task(schedule.post_stays)
        # A status transition stored by a PMS sync or push queues the messages it calls for.
        transitions.listen(triggers.jobs_for)
        # WhatsApp's delivery acks move our messages forward (sent, delivered, read, failed).
        inbound.on_ack(delivery.apply_ack)
        # A hotel created on the onboarding page starts with the default templates.
        register_new_hotel_setup(seed_default_templates)
        # Template edits and switches are kept in the audit log (tenancy.audit).
        audit.track()
        # Messages to and from guests are personal data (hotel.personal_data).
        personal_data.register(holdings.messages())
        # The send API in /api/openapi.json.
        from messaging import openapi

        openapi.register()
