"""Create (once) the demo hotel with an owner and a staff login, and print how to log in."""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from agent.board_demo import seed_boards
from agent.demo import seed_menu_and_knowledge
from dashboard.demo_conversation import seed_conversation
from feedback.demo import seed_feedback
from hotel.models import Reservation
from messaging.defaults import seed_default_templates
from pms.adapters.demo import ROOM_COUNT, DemoAdapter
from pms.models import PMSConfiguration
from pms.services import sync_now
from tenancy.db import acting_for_tenant
from tenancy.models import Membership, Role, Tenant, User
from tenancy.services import create_tenant_with_owner

DEMO_HOTEL = "Hotel Nusantara (demo)"
DEMO_OWNER = "owner@demo.innbox.test"
DEMO_STAFF = "frontdesk@demo.innbox.test"
DEMO_PASSWORD = "innbox-demo-2026"  # noqa: S105 - published on purpose: it is the demo


class Command(BaseCommand):
    help = "Seed the demo hotel (idempotent) and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        owner = self._user(DEMO_OWNER)
        membership = Membership.objects.filter(user=owner).first()
        if membership is None:
            # The demo PMS's rooms, so the dashboard's occupancy card has its denominator.
            tenant = create_tenant_with_owner(
                owner, name=DEMO_HOTEL, time_zone="Asia/Makassar", room_count=ROOM_COUNT
            )
        else:
            tenant = membership.tenant
            if tenant.room_count is None:  # seeded before hotels had a room count
                with acting_for_tenant(tenant.id):
                    Tenant.objects.filter(pk=tenant.pk).update(room_count=ROOM_COUNT)
                tenant.room_count = ROOM_COUNT
        with acting_for_tenant(tenant.id):
            staff = self._user(DEMO_STAFF)
            Membership.objects.get_or_create(
                user=staff, defaults={"tenant": tenant, "role": Role.STAFF}
            )
            with disable_auditlog():  # setting up the demo is no one's template edit
                seed_default_templates(tenant)
            # The concierge's menu (IDR) and knowledge base, so it works without any LLM.
            seed_menu_and_knowledge(tenant)
            config, created = PMSConfiguration.objects.get_or_create(
                tenant=tenant, defaults={"provider": DemoAdapter.provider}
            )
            if created:
                config.set_credentials({"anchor_date": timezone.localdate().isoformat()})
                config.save(update_fields=["credentials_encrypted"])
        if created:
            sync_now(tenant, trigger="seed")
        # A guest's conversation with the concierge, who took their order and request for real
        # (once); the boards' own demo order and request only if that found nobody in house.
        seed_conversation(tenant)
        seed_boards(tenant)  # nothing more once the conversation ordered and asked
        seed_feedback(tenant)  # recent guests' answers, for the Feedback page and its card
        reservations = Reservation.objects.filter(tenant=tenant).count()
        self.stdout.write(
            self.style.SUCCESS(f"Demo hotel: {tenant.name} ({reservations} reservations)\n")
            + f"  Owner login: {DEMO_OWNER} / {DEMO_PASSWORD}\n"
            + f"  Staff login: {DEMO_STAFF} / {DEMO_PASSWORD}\n"
            + f"  Open {settings.APP_URL}/login/"
        )

    @staticmethod
    def _user(email: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            # The demo's .test addresses receive no mail: its accounts are verified from the start.
            user = User.objects.create_user(email, DEMO_PASSWORD, email_verified_at=timezone.now())
        elif user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        return user
