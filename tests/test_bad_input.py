"""Odd input from links and forms gets a page, never a server error, and never goes off-site."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from automation.models import AutomationJob, JobKind
from dashboard import paging
from hotel.models import Guest
from tests import factories

pytestmark = pytest.mark.django_db
SEARCH_PAGES = ["/guests/", "/reservations/", "/messages/"]


def member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", SEARCH_PAGES)
def test_a_search_with_a_nul_character_still_answers(staff_a, url: str) -> None:
    assert member(staff_a).get(url, {"q": "ana\x00"}).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", SEARCH_PAGES)
def test_a_search_with_a_nul_character_still_answers_on_postgres(url: str) -> None:
    from django.conf import settings

    from tests.test_request_context_postgres import django_connected_as

    hotel = factories.make_hotel("Hotel Alpha")
    with django_connected_as(settings.DB_APP_ROLE):
        assert member(hotel.staff).get(url, {"q": "ab\x00cd"}).status_code == 200


def test_an_absurd_page_number_past_an_uncounted_list_answers(
    hotel_a, staff_a, monkeypatch
) -> None:
    monkeypatch.setattr(paging, "COUNT_CAP", 5)  # the list is too long to count exactly
    Guest.objects.bulk_create(
        Guest(tenant=hotel_a.tenant, first_name="Guest", last_name=str(n)) for n in range(8)
    )
    response = member(staff_a).get("/guests/", {"page": "9" * 30})
    assert response.status_code == 200


@pytest.mark.parametrize("target", ["guests", "logout", "https://evil.example/", "//evil.example"])
def test_the_language_switch_goes_back_only_to_a_page_of_this_site(staff_a, target) -> None:
    response = member(staff_a).post("/account/language/", {"ui_language": "id", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_language_switch_returns_to_the_page_it_came_from(staff_a) -> None:
    response = member(staff_a).post(
        "/account/language/", {"ui_language": "id", "next": "/guests/?q=ana"}
    )
    assert response["Location"] == "/guests/?q=ana"


def test_an_invitation_email_stays_english_for_an_owner_who_reads_indonesian(owner_a) -> None:
    owner_a.ui_language = "id"
    owner_a.save(update_fields=["ui_language"])
    member(owner_a).post("/settings/team/", {"email": "new.desk@example.com"})
    body = mail.outbox[-1].body
    month = (timezone.now() + dt.timedelta(days=7)).strftime("%B")
    assert month in body  # the expiry date's month, in English
    assert "Desember" not in body and "Januari" not in body


def test_a_stays_automation_shows_on_its_page_whatever_its_payload(hotel_a, staff_a) -> None:
    AutomationJob.objects.create(
        tenant=hotel_a.tenant,
        kind=JobKind.PMS_SYNC,
        run_at=timezone.now(),
        reservation=hotel_a.reservation,
        payload={},
    )
    page = member(staff_a).get(f"/reservations/{hotel_a.reservation.public_id}/")
    assert "Sync the PMS" in page.content.decode()
