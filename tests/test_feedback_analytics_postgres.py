"""/feedback/ and the dashboard's card on PostgreSQL, connected as the web app's role under RLS:
the per-topic scores (jsonb_each), the funnel's reply window (interval arithmetic in a nested
subquery) and the first-response split all run there as on SQLite."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def seed(hotel: factories.Hotel, chat_id: str, rating: int) -> None:
    now = timezone.now()
    with acting_for_tenant(hotel.tenant.id):
        guest = Guest.objects.create(tenant=hotel.tenant, first_name="Dewi", phone_e164="+628111")
        stay = Reservation.objects.create(
            tenant=hotel.tenant,
            guest=guest,
            pms_reservation_id="PG1",
            status="checked-out",
            check_in=now.date() - dt.timedelta(days=4),
            check_out=now.date() - dt.timedelta(days=2),
            feedback_status="completed",
            feedback_rating=rating,
            feedback_topics={"room": rating, "staff": 5},
            feedback_source="form",
            feedback_comments=f"Comment {rating}",
            feedback_submitted_at=now - dt.timedelta(days=1),
        )
        rows = [
            ("outbound", "post-stay", "read", now - dt.timedelta(days=1, hours=5)),
            ("inbound", "", "received", now - dt.timedelta(days=1, hours=4)),
            ("outbound", "agent", "read", now - dt.timedelta(days=1, hours=4) + dt.timedelta(seconds=40)),
            ("outbound", "pre-arrival", "failed", now - dt.timedelta(days=5)),
        ]  # fmt: skip
        for direction, origin, status, at in rows:
            message = MessageLog.objects.create(
                tenant=hotel.tenant,
                direction=direction,
                guest=guest,
                reservation=stay,
                origin=origin,
                body="…",
                chat_id=chat_id,
                status=status,
                sent_at=at if direction == Direction.OUTBOUND else None,
            )
            MessageLog.objects.filter(pk=message.pk).update(created_at=at)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_and_the_card_show_the_hotels_own_figures_as_the_app_role() -> None:
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    seed(a, "628111@c.us", rating=4)
    seed(b, "628111@c.us", rating=1)  # the same guest writes to both hotels
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(a.staff)
        page = client.get("/feedback/")
        dashboard = client.get("/").content.decode()
    html = page.content.decode()

    assert page.status_code == 200
    assert "Average 4.0 / 5 from 1 guest." in text_of(html)
    room = re.search(r'<tr data-topic="room">(.*?)</tr>', html, re.S)
    assert room and text_of(room.group(1)).split() == ["Room", "4.0", "/", "5", "1"]
    post_stay = re.search(r'<tr data-touchpoint="post-stay">(.*?)</tr>', html, re.S)
    assert post_stay
    assert text_of(post_stay.group(1)).count("1 of 1 · 100%") == 4  # delivered, read, replied, form
    assert "Comment 1" not in html
    agent = re.search(r'<tr data-responder="agent">(.*?)</tr>', html, re.S)
    assert agent and "1 of 1 · 100%" in text_of(agent.group(1)) and "40 s" in agent.group(1)
    card = dashboard.split('data-card="feedback"')[1].split("</section>")[0]
    assert "4.0 / 5" in card and "40 s" in card
