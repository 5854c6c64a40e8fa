"""The feedback form on PostgreSQL, connected as the web app's role (row-level security): the
guest's pages read the hotel's settings and a low rating escalates the guest's conversation, all
in the hotel's context that the link names; the owner saves the settings, staff cannot."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.test import Client

from conversations.models import Conversation
from feedback import services
from feedback.models import FeedbackSettings
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
GOOGLE = "https://g.page/r/alpha/review"


@pytest.fixture
def two_hotels() -> tuple[factories.Hotel, factories.Hotel]:
    return factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")


def test_a_low_rating_as_the_app_role_thanks_with_links_and_escalates(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings: Any
) -> None:
    a, b = two_hotels
    settings.APP_URL = "http://testserver"
    owner = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        owner.force_login(a.owner)
        saved = owner.post("/settings/feedback/", {"google_url": GOOGLE, "ask_room": "on"})
    assert saved.status_code == 302
    with acting_for_tenant(a.tenant.id):
        link = services.issue_link(a.reservation).removeprefix("http://testserver")
    guest = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        form = guest.get(link).content.decode()
        sent = guest.post(link, {"rating": "1", "topic_room": "2", "comments": "Cold water"})
        thanks = guest.get(f"{link}thanks/").content.decode()
    assert 'name="topic_room"' in form
    assert sent.status_code == 302 and f'href="{GOOGLE}"' in thanks
    with acting_for_tenant(a.tenant.id):
        conversation = Conversation.objects.get(tenant=a.tenant, guest=a.guest)
    assert conversation.escalated_at is not None and "1/5" in conversation.escalation_reason
    assert not Conversation.objects.filter(tenant=b.tenant).exists()


def test_staff_cannot_write_the_feedback_settings_even_past_the_view(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    with (
        django_connected_as(settings.DB_APP_ROLE),
        pytest.raises(DatabaseError),
        acting_for_tenant(a.tenant.id, role="staff"),
    ):
        FeedbackSettings.objects.create(tenant=a.tenant, google_url=GOOGLE)
