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
SEARCH_PAGES = ["/guests/", "/reservations/", "/messages/", "/inbox/"]


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

    from tests.helpers import django_connected_as

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


# --- the manual-send API: forms and JSON, refusals that name the problem ---------------------

SEND_URL = "/api/messages/send/"


def nothing_queued() -> bool:
    from messaging.models import MessageLog

    return not MessageLog.objects.exists() and not AutomationJob.objects.exists()


def send_json(client: Client, body: object, **headers: str):
    import json

    return client.post(SEND_URL, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"text": "Towels\x00 are on the way"}, "NUL"),
        ({"trigger": "on-stay\x00"}, "trigger"),
        ({"trigger": "no-such-trigger"}, "trigger"),
    ],
    ids=["nul in the text", "nul in the trigger", "an unknown trigger"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_a_send_with_a_bad_field_is_refused_by_name(
    hotel_a, staff_a, fields: dict, named: str, as_json: bool
) -> None:
    body = {"guest": str(hotel_a.guest.public_id), **fields}
    client = member(staff_a)
    if as_json:
        response = send_json(client, body)
    else:
        response = client.post(SEND_URL, body, HTTP_ACCEPT="application/json")
    assert response.status_code == 400, response.content
    assert named in response.json()["error"]
    assert nothing_queued()


def test_a_form_post_without_json_gets_the_same_refusal(hotel_a, staff_a) -> None:
    response = member(staff_a).post(
        SEND_URL, {"guest": str(hotel_a.guest.public_id), "text": "Hi\x00"}
    )
    assert response.status_code == 400 and "NUL" in response.json()["error"]
    assert nothing_queued()


def test_the_send_api_takes_a_json_body(hotel_a, staff_a, settings) -> None:
    settings.WAHA_BASE_URL = None
    response = send_json(
        member(staff_a),
        {"reservation": str(hotel_a.reservation.public_id), "text": "Your room is ready"},
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    from messaging.models import MessageLog

    assert MessageLog.objects.get().body == "Your room is ready"


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_a_send_without_a_guest_or_reservation_names_what_is_missing(
    staff_a, as_json: bool
) -> None:
    client = member(staff_a)
    body = {"text": "Hello"}
    response = send_json(client, body) if as_json else client.post(SEND_URL, body)
    assert response.status_code == 400
    assert "reservation or guest" in response.json()["error"]
    assert nothing_queued()


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'{"guest": ["a"]}', b'{"text": "hi", "colour": "blue"}'],
    ids=["not json", "not an object", "a list for a field", "an unknown field"],
)
def test_a_malformed_json_send_is_a_400(hotel_a, staff_a, raw: bytes) -> None:
    response = member(staff_a).post(SEND_URL, raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]
    assert nothing_queued()


def test_another_hotels_reservation_is_still_not_found(hotel_a, hotel_b, staff_a) -> None:
    response = send_json(
        member(staff_a), {"reservation": str(hotel_b.reservation.public_id), "text": "Hi"}
    )
    assert response.status_code == 404
    assert nothing_queued()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "fields",
    [{"text": "Towels\x00 are on the way"}, {"trigger": "on-stay\x00"}],
    ids=["nul in the text", "nul in the trigger"],
)
def test_a_nul_in_a_send_is_a_400_on_postgres_as_the_app_role(fields: dict) -> None:
    from django.conf import settings

    from tests.helpers import django_connected_as

    hotel = factories.make_hotel("Hotel Alpha")
    body = {"guest": str(hotel.guest.public_id), **fields}
    with django_connected_as(settings.DB_APP_ROLE):
        form = member(hotel.staff).post(SEND_URL, body, HTTP_ACCEPT="application/json")
        as_json = send_json(member(hotel.staff), body)
    assert (form.status_code, as_json.status_code) == (400, 400)
    assert nothing_queued()
