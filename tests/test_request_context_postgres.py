"""On PostgreSQL the web app connects as the app role; each request sets its tenant for RLS."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client

from hotel.models import Guest
from tenancy.db import acting_for_tenant
from tenancy.models import Membership
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_hotels() -> tuple[factories.Hotel, factories.Hotel]:
    return factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")


@pytest.mark.parametrize("persona", ["owner", "staff"])
def test_a_member_sees_their_hotels_dashboard_as_the_app_role(
    persona: str, two_hotels: tuple[factories.Hotel, factories.Hotel]
) -> None:
    a, _ = two_hotels
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(getattr(a, persona))
        response = client.get("/")

    assert response.status_code == 200
    assert "Hotel Alpha" in response.content.decode()
    assert "Hotel Bravo" not in response.content.decode()


def test_a_user_without_a_hotel_goes_to_onboarding_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    lonely = factories.make_user("lonely-")
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(lonely)
        response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/onboarding/"


def test_the_database_scopes_even_an_unfiltered_query(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, b = two_hotels
    with django_connected_as(settings.DB_APP_ROLE):
        with acting_for_tenant(a.tenant.id):
            seen_by_a = set(Guest.objects.values_list("pk", flat=True))
        with acting_for_tenant(b.tenant.id):
            seen_by_b = set(Guest.objects.values_list("pk", flat=True))
        assert not Guest.objects.exists(), "outside a tenant's transaction nothing is visible"

    assert seen_by_a == {a.guest.pk}
    assert seen_by_b == {b.guest.pk}


def test_the_tenant_context_ends_with_its_transaction(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    with django_connected_as(settings.DB_APP_ROLE):
        with acting_for_tenant(a.tenant.id):
            pass
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.tenant_id', true)")
            assert cursor.fetchone()[0] in ("", None)


def test_the_invitation_flow_works_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    owner, newcomer = Client(), Client()
    password = "a-long-new-password"
    with django_connected_as(settings.DB_APP_ROLE):
        owner.force_login(a.owner)
        assert owner.post("/settings/team/", {"email": "joiner@example.com"}).status_code == 302
        token = mail.outbox[-1].body.split("token=")[1].split()[0]

        assert newcomer.get(f"/accept-invite/?token={token}")["Location"].startswith("/signup/")
        signup = newcomer.post(
            f"/signup/?invite_token={token}",
            {"password1": password, "password2": password, "invite_token": token},
        )
        assert signup["Location"] == f"/accept-invite/?token={token}"
        assert "Join Hotel Alpha" in newcomer.get(signup["Location"]).content.decode()
        assert newcomer.post("/accept-invite/", {"token": token})["Location"] == "/"
        dashboard = newcomer.get("/")
        team_page = owner.get("/settings/team/").content.decode()

    assert dashboard.status_code == 200 and "Hotel Alpha" in dashboard.content.decode()
    assert "joiner@example.com" in team_page
    assert Membership.objects.get(user__email="joiner@example.com").tenant == a.tenant


def test_a_new_account_confirms_its_address_then_creates_a_hotel_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    password = "a-long-new-password"
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        signup = client.post(
            "/signup/",
            {"email": "founder@example.com", "password1": password, "password2": password},
        )
        assert signup["Location"] == "/verify-email/"
        assert client.post("/verify-email/resend/").status_code == 429  # counted: too soon
        link = mail.outbox[-1].body.split("/verify-email/confirm/", 1)[1].split()[0]
        assert client.get(f"/verify-email/confirm/{link}")["Location"] == "/login/"
        client.post("/login/", {"username": "founder@example.com", "password": password})
        created = client.post(
            "/onboarding/create-tenant/",
            {"name": "Hotel Charlie", "time_zone": "Asia/Jakarta", "default_language": "en"},
        )
    assert created["Location"] == "/"
    assert Membership.objects.get(user__email="founder@example.com").role == "owner"


def test_a_new_owner_creates_a_hotel_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    founder = factories.make_user("founder-")
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(founder)
        response = client.post(
            "/onboarding/create-tenant/",
            {"name": "Hotel Charlie", "time_zone": "Asia/Jakarta", "default_language": "en"},
        )
        dashboard = client.get("/")

    assert response["Location"] == "/"
    assert dashboard.status_code == 200 and "Hotel Charlie" in dashboard.content.decode()
    assert Membership.objects.get(user=founder).role == "owner"


@pytest.mark.urls("tests.failing_urls")
def test_a_request_that_fails_with_500_writes_nothing(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    client = Client(raise_request_exception=False)
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(a.staff)
        response = client.get("/write-then-fail/")

    assert response.status_code == 500
    assert not Guest.objects.filter(last_name="Written").exists()


def test_an_anonymous_request_opens_no_tenant_transaction(db: None) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 1"]


def test_whatsapp_connect_and_webhooks_work_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], fake_waha, settings
) -> None:
    from messaging.models import MessageLog
    from whatsapp.models import WahaConfiguration

    a, _ = two_hotels
    owner, other_owner = Client(), Client()
    with django_connected_as(settings.DB_APP_ROLE):
        settings.APP_URL = "http://127.0.0.1:9"
        owner.force_login(a.owner)
        assert owner.post("/api/waha/start/").status_code == 200
        other_owner.force_login(two_hotels[1].owner)
        refused = other_owner.post("/api/waha/start/")
        # WAHA's webhooks arrive anonymously; the session name finds the hotel.
        fake_waha.pair("default", phone="+6281100001111", push_name="Alpha")
        guest_phone = a.guest.phone_e164.lstrip("+")
        import hashlib
        import hmac
        import json
        import time

        body = json.dumps(
            {
                "id": "evt_pgtest",
                "timestamp": int(time.time() * 1000),
                "event": "message",
                "session": "default",
                "engine": "NOWEB",
                "payload": {
                    "id": f"false_{guest_phone}@c.us_PG1",
                    "from": f"{guest_phone}@c.us",
                    "fromMe": False,
                    "body": "Halo",
                    "hasMedia": False,
                },
            }
        ).encode()
        signature = hmac.new(
            settings.WAHA_WEBHOOK_HMAC_KEY.encode(), body, hashlib.sha512
        ).hexdigest()
        webhook = Client().post(
            "/api/webhooks/waha/",
            body,
            content_type="application/json",
            HTTP_X_WEBHOOK_HMAC=signature,
            HTTP_X_WEBHOOK_TIMESTAMP=str(int(time.time() * 1000)),
        )
        status = owner.get("/api/waha/status/").json()

    assert refused.status_code == 409 and "Hotel Alpha" in refused.json()["error"]
    assert webhook.status_code == 200 and webhook.json()["status"] == "stored"
    message = MessageLog.objects.get(waha_message_id=f"false_{guest_phone}@c.us_PG1")
    assert (message.tenant_id, message.guest_id) == (a.tenant.id, a.guest.pk)
    assert status["status"] == "connected"
    assert WahaConfiguration.objects.get(tenant=a.tenant).phone_number == "+6281100001111"


def test_staff_watching_the_whatsapp_status_works_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], fake_waha, settings
) -> None:
    from whatsapp import sender

    a, _ = two_hotels
    owner, staff = Client(), Client()
    with django_connected_as(settings.DB_APP_ROLE):
        settings.APP_URL = "http://127.0.0.1:9"
        owner.force_login(a.owner)
        owner.post("/api/waha/start/")
        fake_waha.pair("default", phone="+6281100001111", push_name="Alpha")
        staff.force_login(a.staff)
        page = staff.get("/settings/waha/")
        poll = staff.get("/api/waha/status/")
        # a send from a staff request writes the connection's health as the system
        with acting_for_tenant(a.tenant.id, role="staff"):
            sent = sender.send_text(a.tenant, a.guest.phone_e164, "Halo")

    assert page.status_code == 403  # the settings page is the owners' (docs/permissions.md)
    assert poll.status_code == 200
    assert poll.json()["status"] == "connected"
    assert sent.message_id


def test_the_owner_edits_templates_and_staff_send_by_hand_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings
) -> None:
    from messaging.defaults import seed_default_templates
    from messaging.models import MessageLog, MessageTemplateVariant

    a, b = two_hotels
    with acting_for_tenant(a.tenant.id):
        seed_default_templates(a.tenant)
    variant = MessageTemplateVariant.objects.get(
        tenant=a.tenant, template__trigger="on-stay", language_code="id"
    )
    settings.WAHA_BASE_URL = None
    owner, staff = Client(), Client()
    with django_connected_as(settings.DB_APP_ROLE):
        owner.force_login(a.owner)
        staff.force_login(a.staff)
        saved = owner.post(
            f"/settings/templates/variants/{variant.public_id}/",
            {"content": "Halo {{guestName}}, kamar {{roomNumber}} siap!", "is_active": "on"},
        )
        sent = staff.post(
            "/api/messages/send/",
            {"reservation": str(a.reservation.public_id), "trigger": "on-stay"},
            HTTP_ACCEPT="application/json",
        )
        log_page = staff.get("/messages/").content.decode()
        other_hotel = staff.get(f"/reservations/{b.reservation.public_id}/")
    with django_connected_as(settings.DB_WORKER_ROLE):
        from automation import queue

        assert queue.run_once() == 1  # the worker sends what staff queued

    assert saved.status_code == 302 and sent.status_code == 202
    message = MessageLog.objects.get()
    assert message.body == f"Halo {a.guest.full_name}, kamar 101 siap!"
    assert message.status == "sent"
    assert "kamar 101 siap" in log_page
    assert other_hotel.status_code == 404


def test_the_worker_role_runs_a_queued_sync_for_its_hotel_only(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings
) -> None:
    from automation import queue
    from automation.models import AutomationJob
    from hotel.models import Reservation

    a, b = two_hotels
    owner = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        owner.force_login(a.owner)
        owner.post("/settings/pms/", {"provider": "demo"})
        owner.post("/api/pms/sync/")
    with django_connected_as(settings.DB_WORKER_ROLE):
        ran = queue.run_once()

    assert ran == 1
    assert AutomationJob.objects.get(tenant=a.tenant).status == "succeeded"
    assert Reservation.objects.filter(tenant=a.tenant).count() > 300
    assert Reservation.objects.filter(tenant=b.tenant).count() == 1


def test_a_guest_answers_the_feedback_form_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel], settings
) -> None:
    from feedback import services as feedback_services
    from hotel.models import Reservation

    a, _ = two_hotels
    settings.APP_URL = "http://testserver"
    with acting_for_tenant(a.tenant.id):
        link = feedback_services.issue_link(a.reservation).removeprefix("http://testserver")
    guest = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        page = guest.get(link)
        answered = guest.post(link, {"rating": "5", "comments": "Lovely"})

    assert page.status_code == 200 and answered.status_code == 302  # on to the thank-you page
    reservation = Reservation.objects.get(pk=a.reservation.pk)
    assert (reservation.feedback_status, reservation.feedback_rating) == ("completed", 5)
