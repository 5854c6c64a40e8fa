"""/settings/pms/ (owner) and "Sync now" (staff too)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from automation import queue
from automation.models import AutomationJob
from hotel.models import Reservation, StatusTransition
from pms.models import PMSConfiguration, SyncRun
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.owner)
    return client


@pytest.fixture
def staff(hotel_a: factories.Hotel) -> Client:
    client = Client()
    client.force_login(hotel_a.staff)
    return client


def test_mews_credentials_are_saved_encrypted_and_never_shown_back(owner: Client, hotel_a) -> None:
    response = owner.post(
        "/settings/pms/",
        {
            "provider": "mews",
            "base_url": "https://api.mews-demo.com",
            "client_token": "CLIENT-SECRET-1234",
            "access_token": "ACCESS-SECRET-9876",
        },
    )
    assert response.status_code == 302
    config = PMSConfiguration.objects.get(tenant=hotel_a.tenant)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted FROM pms_configurations WHERE id = %s", [config.pk]
        )
        stored = cursor.fetchone()[0]
    assert "SECRET" not in stored
    assert config.get_credentials() == {
        "client_token": "CLIENT-SECRET-1234",
        "access_token": "ACCESS-SECRET-9876",
    }
    page = owner.get("/settings/pms/").content.decode()
    assert "CLIENT-SECRET-1234" not in page and "ACCESS-SECRET" not in page
    assert "ends in …1234" in page

    owner.post("/settings/pms/", {"provider": "mews", "base_url": "https://api.mews-demo.com"})
    config.refresh_from_db()
    assert config.get_credentials()["access_token"] == "ACCESS-SECRET-9876", (
        "empty fields keep the secret"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://pms.example.com", "Use an http:// or https:// address"),
        ("https://user:pw@pms.example.com", "not in the address"),
        ("", "required"),
    ],
)
def test_the_pms_address_is_validated(owner: Client, url: str, message: str) -> None:
    response = owner.post(
        "/settings/pms/",
        {"provider": "mews", "base_url": url, "client_token": "c" * 20, "access_token": "a" * 20},
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not PMSConfiguration.objects.exists()


def test_missing_tokens_are_named(owner: Client) -> None:
    response = owner.post(
        "/settings/pms/", {"provider": "mews", "base_url": "https://api.mews.com"}
    )
    assert "Client token is required" in response.content.decode()


def test_the_demo_connects_tests_syncs_and_moves_on(owner: Client, hotel_a) -> None:
    owner.post("/settings/pms/", {"provider": "demo"})
    tested = owner.post("/settings/pms/test/", follow=True).content.decode()
    assert "Connection works" in tested

    queued = owner.post("/api/pms/sync/", {"next": "/settings/pms/"}, follow=True).content.decode()
    assert "Sync started" in queued and "Sync queued" in queued
    assert queue.run_once() == 1  # the worker
    synced = owner.get("/settings/pms/").content.decode()
    assert "Last sync" in synced and "new" in synced
    assert Reservation.objects.filter(tenant=hotel_a.tenant).count() > 300
    transitions = StatusTransition.objects.count()

    moved = owner.post("/settings/pms/demo/advance/", follow=True).content.decode()
    assert "The demo moved on one day" in moved
    assert StatusTransition.objects.count() > transitions
    assert SyncRun.objects.filter(tenant=hotel_a.tenant).count() == 2
    assert "Sync history" in moved


def test_staff_cannot_open_the_pms_settings_but_can_sync(
    owner: Client, staff: Client, hotel_a
) -> None:
    owner.post("/settings/pms/", {"provider": "demo"})

    assert staff.get("/settings/pms/").status_code == 403
    assert staff.post("/settings/pms/", {"provider": "demo"}).status_code == 403
    assert staff.post("/settings/pms/test/").status_code == 403
    assert staff.post("/settings/pms/demo/advance/").status_code == 403
    assert staff.post("/settings/pms/webhook-secret/").status_code == 403
    response = staff.post("/api/pms/sync/", follow=True)
    assert "Sync started" in response.content.decode()
    queue.run_once()
    assert Reservation.objects.filter(tenant=hotel_a.tenant).count() > 300
    assert 'href="/settings/pms/"' not in staff.get("/").content.decode()


def test_sync_without_a_pms_says_what_to_do(staff: Client) -> None:
    response = staff.post("/api/pms/sync/", follow=True)
    assert "No PMS is connected yet" in response.content.decode()


def test_a_sync_touches_only_the_requesting_hotel(owner: Client, hotel_a, hotel_b) -> None:
    owner.post("/settings/pms/", {"provider": "demo"})
    owner.post("/api/pms/sync/")
    assert (
        not Reservation.objects.filter(tenant=hotel_b.tenant)
        .exclude(pk=hotel_b.reservation.pk)
        .exists()
    )


def test_an_auth_failure_is_explained_on_the_page(owner: Client, hotel_a, monkeypatch) -> None:
    from innbox.integrations import IntegrationError
    from pms.adapters.mews import MewsAdapter

    def refuse(self: MewsAdapter) -> str:
        raise IntegrationError(
            "Mews refused the client or access token (401). Check the tokens.", retryable=False
        )

    monkeypatch.setattr(MewsAdapter, "test_connection", refuse)
    owner.post(
        "/settings/pms/",
        {
            "provider": "mews",
            "base_url": "https://api.mews-demo.com",
            "client_token": "c" * 20,
            "access_token": "a" * 20,
        },
    )
    page = owner.post("/settings/pms/test/", follow=True).content.decode()

    assert "Connection failed: Mews refused the client or access token (401)" in page
    assert "Failing" in page
    assert "a" * 20 not in page


def test_sync_now_never_redirects_off_site(staff: Client, owner: Client) -> None:
    owner.post("/settings/pms/", {"provider": "demo"})
    response = staff.post("/api/pms/sync/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432",
        "http://169.254.169.254/latest",
        "http://localhost/api",
        "http://[::1]/",
    ],
)
def test_addresses_of_the_innbox_server_itself_are_refused(owner: Client, url: str) -> None:
    response = owner.post(
        "/settings/pms/", {"provider": "qloapps", "base_url": url, "api_key": "K" * 32}
    )
    assert "points at the Innbox server itself" in response.content.decode()
    assert not PMSConfiguration.objects.exists()


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("http://qloapps.hotel-alpha.example:8088", "http://qloapps.hotel-alpha.example:8088/api"),
        ("http://qloapps.hotel-alpha.example:8088/", "http://qloapps.hotel-alpha.example:8088/api"),
        ("https://hotel-alpha.example/shop", "https://hotel-alpha.example/shop/api"),
        ("https://hotel-alpha.example/api", "https://hotel-alpha.example/api"),
        ("https://hotel-alpha.example/api/", "https://hotel-alpha.example/api"),
        ("hotel-alpha.example/API", "https://hotel-alpha.example/API"),
    ],
)
def test_the_qloapps_shop_address_gets_its_api_path(
    owner: Client, hotel_a, typed: str, saved: str
) -> None:
    response = owner.post(
        "/settings/pms/", {"provider": "qloapps", "base_url": typed, "api_key": "K" * 32}
    )
    assert response.status_code == 302
    assert PMSConfiguration.objects.get(tenant=hotel_a.tenant).base_url == saved
    assert f'value="{saved}"' in owner.get("/settings/pms/").content.decode()


def test_mews_must_be_mews(owner: Client) -> None:
    response = owner.post(
        "/settings/pms/",
        {
            "provider": "mews",
            "base_url": "https://attacker.example",
            "client_token": "c" * 20,
            "access_token": "a" * 20,
        },
    )
    assert "https://api.mews.com" in response.content.decode()
    assert not PMSConfiguration.objects.exists()


def test_saved_secrets_do_not_follow_a_new_address(owner: Client, hotel_a) -> None:
    owner.post(
        "/settings/pms/",
        {"provider": "qloapps", "base_url": "https://pms.hotel.example/api", "api_key": "K" * 32},
    )
    moved = owner.post(
        "/settings/pms/", {"provider": "qloapps", "base_url": "https://elsewhere.example/api"}
    )
    assert "Webservice key is required" in moved.content.decode()
    config = PMSConfiguration.objects.get(tenant=hotel_a.tenant)
    assert config.base_url == "https://pms.hotel.example/api"


def test_sync_now_twice_is_one_sync_and_its_progress_shows(
    staff: Client, owner: Client, hotel_a
) -> None:
    owner.post("/settings/pms/", {"provider": "demo"})
    staff.post("/api/pms/sync/")
    partial = staff.post("/api/pms/sync/", HTTP_HX_REQUEST="true").content.decode()

    assert AutomationJob.objects.filter(tenant=hotel_a.tenant, kind="pms_sync").count() == 1
    assert 'hx-trigger="every 2s"' in partial and "Sync queued" in partial
    queue.run_once()
    done = staff.get("/api/pms/sync/status/").content.decode()
    assert "Last sync" in done and "every 2s" not in done
    assert AutomationJob.objects.get(kind="pms_sync").status == "succeeded"


def test_a_failing_sync_job_is_reported(staff: Client, owner: Client, hotel_a, monkeypatch) -> None:
    from innbox.integrations import IntegrationError
    from pms.adapters.demo import DemoAdapter

    def refuse(self, start, end):
        raise IntegrationError("The PMS is down (503)", retryable=True)

    owner.post("/settings/pms/", {"provider": "demo"})
    monkeypatch.setattr(DemoAdapter, "pull_reservations", refuse)
    staff.post("/api/pms/sync/")
    queue.run_once()

    assert "Last sync failed: The PMS is down (503)" in staff.get("/").content.decode()
    job = AutomationJob.objects.get(kind="pms_sync")
    assert job.status == "failed" and job.error_history[0]["error"] == "The PMS is down (503)"


def test_a_sync_that_met_phones_whatsapp_cannot_use_says_how_many(
    staff: Client, owner: Client, hotel_a, monkeypatch
) -> None:
    from pms.adapters.demo import DemoAdapter

    pms = factories.StaysAdapter(
        [
            factories.pms_stay("Q1", "QG1", phone="12345"),
            factories.pms_stay("Q2", "QG2", phone="0812"),
            factories.pms_stay("Q3", "QG3", phone="+6281234567890"),
        ]
    )
    owner.post("/settings/pms/", {"provider": "demo"})
    monkeypatch.setattr(DemoAdapter, "pull_reservations", pms.pull_reservations)
    staff.post("/api/pms/sync/")
    queue.run_once()

    warning = "2 guests have a phone number that can't be used for WhatsApp"
    assert SyncRun.objects.get(tenant=hotel_a.tenant).unusable_phones == 2
    assert warning in staff.get("/api/pms/sync/status/").content.decode()
    assert owner.get("/settings/pms/").content.decode().count(warning) == 2  # latest + history
