"""The dashboard: headline cards, charts, alerts, setup steps, and a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation.models import AutomationJob, JobKind, JobStatus
from dashboard import charts
from hotel.models import ReservationStatus
from messaging.models import Direction, MessageStatus
from pms.models import ConnectionHealth, PMSConfiguration, PMSProvider
from tests import factories
from tests.helpers import hotel_now, message, stay, today, worker_seen
from whatsapp.models import SessionStatus, WahaConfiguration

pytestmark = pytest.mark.django_db


def logged_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


# --- cards ------------------------------------------------------------------------------------


def test_it_shows_occupancy_with_its_formula(client: Client, hotel_a: factories.Hotel) -> None:
    hotel_a.tenant.room_count = 10
    hotel_a.tenant.save(update_fields=["room_count"])
    stay(hotel_a, status=ReservationStatus.ON_STAY, room="201")
    stay(hotel_a, status=ReservationStatus.ON_STAY, room="201")  # two stays, one room
    stay(hotel_a, status=ReservationStatus.ON_STAY, room="202")
    stay(hotel_a, status=ReservationStatus.ON_STAY, room="")  # no room number yet: still a room
    stay(hotel_a, status=ReservationStatus.CHECKED_OUT, room="203")

    response = logged_in(client, hotel_a.owner).get("/")

    occupancy = response.context["stats"].occupancy
    assert (occupancy.occupied_rooms, occupancy.room_count, occupancy.percent) == (3, 10, 30)
    page = response.content.decode()
    assert ">30%<" in page
    assert "3 rooms in use ÷ 10 rooms" in page
    # The formula on hover (title) and for screen readers (visually hidden text).
    assert (
        'title="Rooms with a guest in house ÷ rooms in the hotel: 3 rooms in use ÷ 10 rooms"'
        in page
    )
    assert "rooms with a guest in house divided by rooms in the hotel" in page


def test_it_asks_the_owner_for_the_room_count_when_unknown(
    client: Client, hotel_a: factories.Hotel
) -> None:
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "Room count not set." in page
    assert 'href="/settings/hotel/">Set it</a>' in page


def test_it_tells_staff_the_owner_sets_the_room_count(
    client: Client, hotel_a: factories.Hotel
) -> None:
    page = logged_in(client, hotel_a.staff).get("/").content.decode()
    assert "Room count not set." in page
    assert "Your hotel's owner can set it." in page
    assert "/settings/hotel/" not in page


def test_it_counts_guests_in_house_and_arrivals(client: Client, hotel_a: factories.Hotel) -> None:
    yesterday = today(hotel_a) - dt.timedelta(days=1)
    stay(hotel_a, status=ReservationStatus.ON_STAY, room="301", check_in=yesterday)
    stay(hotel_a)  # arrives today (pre-arrival), like the factory's reservation
    stay(hotel_a, status=ReservationStatus.CANCELLED)  # not arriving

    stats = logged_in(client, hotel_a.staff).get("/").context["stats"]

    assert (stats.guests, stats.in_house, stats.arrivals_today) == (4, 1, 2)


def test_it_counts_messages_sent_today_and_in_7_days_in_the_hotels_day(
    client: Client, hotel_a: factories.Hotel
) -> None:
    now = timezone.now()
    midnight = dt.datetime.combine(today(hotel_a), dt.time.min, tzinfo=ZoneInfo("Asia/Jakarta"))
    message(hotel_a, sent=now)
    message(hotel_a, sent=midnight + dt.timedelta(seconds=1))
    message(hotel_a, sent=midnight - dt.timedelta(seconds=1))  # yesterday at the hotel
    message(hotel_a, sent=midnight - dt.timedelta(days=6))  # first day of the 7
    message(hotel_a, sent=midnight - dt.timedelta(days=6, seconds=1))  # 8th day back: out
    message(hotel_a, MessageStatus.QUEUED)  # not sent (yet)
    message(hotel_a, MessageStatus.FAILED)
    message(hotel_a, MessageStatus.RECEIVED, sent=now, direction=Direction.INBOUND)

    stats = logged_in(client, hotel_a.owner).get("/").context["stats"]

    assert (stats.messages_sent_today, stats.messages_sent_7_days) == (2, 4)


# --- charts -----------------------------------------------------------------------------------


def test_the_message_chart_stacks_each_day_by_delivery_status(
    client: Client, hotel_a: factories.Hotel
) -> None:
    now = hotel_now(hotel_a)
    three_days_ago = now - dt.timedelta(days=3)
    for _ in range(3):
        message(hotel_a, MessageStatus.DELIVERED, created=three_days_ago)
    message(hotel_a, MessageStatus.READ, created=three_days_ago)
    message(hotel_a, MessageStatus.FAILED, created=now)
    message(hotel_a, MessageStatus.SENT, created=now - dt.timedelta(days=20))  # too old
    message(hotel_a, MessageStatus.RECEIVED, created=now, direction=Direction.INBOUND)

    response = logged_in(client, hotel_a.owner).get("/")

    data = response.context["message_chart"]["data"]
    assert len(data.days) == 14 and data.days[-1] == now.date()
    day = three_days_ago.date()
    assert (data.value(day, "delivered"), data.value(day, "read"), data.total(day)) == (3, 1, 4)
    assert data.value(now.date(), "failed") == 1
    assert sum(data.total(d) for d in data.days) == 5
    page = response.content.decode()
    label = timezone.template_localtime(three_days_ago).strftime("%-d %b")
    assert f"<title>{label}: 3 delivered</title>" in page
    assert f"<title>{label}: 1 read</title>" in page
    assert "Show the numbers as a table" in page


def test_the_movement_chart_counts_arrivals_and_departures_for_7_days(
    client: Client, hotel_a: factories.Hotel
) -> None:
    tomorrow = today(hotel_a) + dt.timedelta(days=1)
    stay(hotel_a, check_in=tomorrow, nights=1)
    stay(hotel_a, check_in=tomorrow, nights=3)
    stay(hotel_a, check_in=tomorrow, status=ReservationStatus.CANCELLED)
    stay(hotel_a, check_in=today(hotel_a) + dt.timedelta(days=9))  # beyond the week

    data = logged_in(client, hotel_a.owner).get("/").context["movement_chart"]["data"]

    assert data.days[0] == today(hotel_a) and len(data.days) == 7
    assert data.value(tomorrow, "arrivals") == 2
    # The factory's reservation (in today, out the day after tomorrow) leaves with the first.
    assert data.value(tomorrow + dt.timedelta(days=1), "departures") == 2
    assert data.value(tomorrow + dt.timedelta(days=3), "departures") == 1
    assert data.value(today(hotel_a), "arrivals") == 1
    assert data.total(today(hotel_a) + dt.timedelta(days=6)) == 0


def test_it_says_so_when_there_is_nothing_to_chart(
    client: Client, hotel_a: factories.Hotel
) -> None:
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "No messages to guests in the last 14 days." in page
    assert "<svg" in page  # the factory's reservation arrives today: that chart is drawn


def test_the_y_axis_is_rounded_to_readable_steps() -> None:
    assert [charts.nice_ceiling(v) for v in (0, 3, 5, 13, 45, 100)] == [4, 4, 8, 20, 80, 100]


# --- alerts and setup -------------------------------------------------------------------------


def test_it_alerts_about_dead_jobs(client: Client, hotel_a: factories.Hotel) -> None:
    for _ in range(2):
        AutomationJob.objects.create(
            tenant=hotel_a.tenant, kind=JobKind.SEND_MESSAGE, status=JobStatus.DEAD,
            run_at=timezone.now(),
        )  # fmt: skip
    page = logged_in(client, hotel_a.staff).get("/").content.decode()
    assert 'data-alert="dead-jobs"' in page
    assert "2 automation jobs gave up." in page
    assert 'href="/automation/">Open automation</a>' in page


def test_it_alerts_the_owner_when_whatsapp_is_disconnected(
    client: Client, hotel_a: factories.Hotel, settings
) -> None:
    settings.WAHA_BASE_URL = "http://127.0.0.1:9"
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status=SessionStatus.STOPPED
    )
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "WhatsApp is disconnected." in page
    assert 'href="/settings/waha/">Check the connection</a>' in page


def test_staff_are_told_to_ask_the_owner_about_whatsapp(
    client: Client, hotel_a: factories.Hotel, settings
) -> None:
    settings.WAHA_BASE_URL = "http://127.0.0.1:9"
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status=SessionStatus.FAILED
    )
    page = logged_in(client, hotel_a.staff).get("/").content.decode()
    assert "WhatsApp is disconnected." in page
    assert "/settings/waha/" not in page
    assert "Ask your hotel's owner to look at it." in page


def test_it_alerts_when_the_pms_sync_is_failing(client: Client, hotel_a: factories.Hotel) -> None:
    PMSConfiguration.objects.create(
        tenant=hotel_a.tenant,
        provider=PMSProvider.DEMO,
        health=ConnectionHealth.FAILING,
        last_error="The PMS refused the API key (401)",
    )
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "PMS sync is failing." in page
    assert "The PMS refused the API key (401)" in page
    assert 'href="/settings/pms/">Open PMS settings</a>' in page


def test_it_warns_when_no_worker_has_been_seen(client: Client, hotel_a: factories.Hotel) -> None:
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert 'data-alert="worker"' in page
    assert "No background worker has been seen." in page
    assert 'href="/automation/">See waiting jobs</a>' in page


def test_it_warns_when_the_worker_stopped(
    client: Client, hotel_a: factories.Hotel, settings
) -> None:
    worker_seen(timezone.now() - dt.timedelta(minutes=settings.WORKER_HEARTBEAT_STALE_MINUTES + 15))
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "The background worker stopped 20\xa0minutes ago." in page

    worker_seen()
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert 'data-alert="worker"' not in page


def test_the_worker_warning_speaks_indonesian(client: Client, hotel_a: factories.Hotel) -> None:
    hotel_a.owner.ui_language = "id"
    hotel_a.owner.save(update_fields=["ui_language"])
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "Belum ada worker latar belakang yang terlihat berjalan." in page
    assert "Lihat tugas yang menunggu" in page


def test_a_healthy_hotel_has_no_alerts(client: Client, hotel_a: factories.Hotel, settings) -> None:
    settings.WAHA_BASE_URL = "http://127.0.0.1:9"
    worker_seen()
    WahaConfiguration.objects.create(
        tenant=hotel_a.tenant, session_name="default", status=SessionStatus.WORKING
    )
    PMSConfiguration.objects.create(
        tenant=hotel_a.tenant, provider=PMSProvider.DEMO, health=ConnectionHealth.HEALTHY
    )
    response = logged_in(client, hotel_a.owner).get("/")
    assert response.context["alerts"] == []
    assert "Get your hotel ready" not in response.content.decode()


def test_a_new_hotel_is_shown_its_next_steps(client: Client, hotel_a: factories.Hotel) -> None:
    owner_page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert "Get your hotel ready" in owner_page
    assert 'href="/settings/pms/">Connect the PMS</a>' in owner_page

    staff_page = logged_in(client, hotel_a.staff).get("/").content.decode()
    assert "Ask your hotel's owner to connect the PMS." in staff_page
    assert "/settings/pms/" not in staff_page


def test_it_offers_the_owner_to_connect_whatsapp_outside_the_sandbox(
    client: Client, hotel_a: factories.Hotel, settings
) -> None:
    settings.WAHA_BASE_URL = "http://127.0.0.1:9"
    page = logged_in(client, hotel_a.owner).get("/").content.decode()
    assert 'href="/settings/waha/">Connect WhatsApp</a>' in page


# --- cost and isolation -----------------------------------------------------------------------


def fill(hotel: factories.Hotel, rows: int) -> None:
    now = hotel_now(hotel)
    statuses = [MessageStatus.READ, MessageStatus.DELIVERED, MessageStatus.FAILED]
    for n in range(rows):
        status = ReservationStatus.ON_STAY if n % 2 else ReservationStatus.PRE_ARRIVAL
        stay(hotel, status=status, room=str(100 + n), check_in=today(hotel) + dt.timedelta(n % 7))
        message(hotel, statuses[n % 3], created=now - dt.timedelta(days=n % 14), sent=now)
        message(hotel, MessageStatus.RECEIVED, direction=Direction.INBOUND)
        AutomationJob.objects.create(
            tenant=hotel.tenant, kind=JobKind.SEND_MESSAGE, status=JobStatus.DEAD,
            run_at=timezone.now(),
        )  # fmt: skip


def queries_for_dashboard(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_it_costs_the_same_queries_for_2_or_50_rows(
    client: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    for hotel in (hotel_a, hotel_b):
        hotel.tenant.room_count = 80
        hotel.tenant.save(update_fields=["room_count"])
    fill(hotel_a, 2)
    fill(hotel_b, 50)

    few = queries_for_dashboard(logged_in(client, hotel_a.owner))
    many = queries_for_dashboard(logged_in(client, hotel_b.owner))

    assert few == many
    # 26th: the latest worker heartbeat (the "no worker" alert); 27th: the sidebar's open orders
    # and requests; 28th and 29th: the feedback card (ratings with the response rate, then the
    # first-response waits); 30th: the recent low feedback ratings.
    assert many <= 30


def test_it_hides_other_tenants_records(
    client: Client, hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    fill(hotel_b, 5)
    worker_seen()
    response = logged_in(client, hotel_a.owner).get("/")

    stats = response.context["stats"]
    assert (stats.guests, stats.in_house, stats.messages_sent_7_days) == (1, 0, 0)
    assert response.context["alerts"] == []
    assert response.context["message_chart"]["total"] == 0
    page = response.content.decode()
    assert hotel_b.guest.last_name not in page
    assert "Hotel Bravo" not in page
