"""The audit log (/settings/audit/, tenancy.audit): every audited action writes exactly one row,
with who, when and what; no row holds a secret; the page is the owners', in both languages.

Each action is done the way a person does it, through the pages; PostgreSQL's side (RLS as the
app role) is tests/test_audit_log_postgres.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from messaging.defaults import seed_default_templates
from messaging.models import MessageTemplate
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy import audit
from tenancy.models import AuditEntry, Invitation, Membership, Role, UILanguage
from tests import factories

pytestmark = pytest.mark.django_db

PMS_CLIENT_TOKEN = "CLIENT-TOKEN-7dK2pQ9vXw3mL8nR"
PMS_ACCESS_TOKEN = "ACCESS-TOKEN-Hj4Tz6Yb1Nc5Vf0S"
PMS_NEW_ACCESS_TOKEN = "ACCESS-TOKEN-Rotated-Ue8Wq2Kp"


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(hotel_a: factories.Hotel) -> Client:
    return client_of(hotel_a.owner)


@contextmanager
def one_new_row(hotel: factories.Hotel, event: str) -> Iterator[list[AuditEntry]]:
    """The block must write exactly one audit row of `hotel`, of `event`."""
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    found: list[AuditEntry] = []
    yield found
    new = list(AuditEntry.objects.exclude(pk__in=before).order_by("pk"))
    assert [(row.tenant_id, row.event) for row in new] == [(hotel.tenant.id, event)], [
        (row.event, row.object_repr) for row in new
    ]
    found.extend(new)


def log_in(client: Client, email: str, password: str) -> Any:
    return client.post("/login/", {"username": email, "password": password})


# --- team ------------------------------------------------------------------------------------


def test_inviting_resending_and_revoking_each_write_one_row(owner: Client, hotel_a) -> None:
    with one_new_row(hotel_a, audit.INVITATION_SENT) as rows:
        owner.post("/settings/team/", {"email": "new.desk@example.com"})
    assert rows[0].actor == hotel_a.owner and rows[0].object_repr == "new.desk@example.com"
    invitation = Invitation.objects.get(invited_email="new.desk@example.com")
    with one_new_row(hotel_a, audit.INVITATION_RESENT) as rows:
        owner.post(f"/settings/team/invitations/{invitation.public_id}/resend/")
    assert rows[0].actor_email == hotel_a.owner.email
    with one_new_row(hotel_a, audit.INVITATION_REVOKED):
        owner.post(f"/settings/team/invitations/{invitation.public_id}/revoke/")


def test_joining_removing_and_a_role_change_each_write_one_row(owner: Client, hotel_a) -> None:
    owner.post("/settings/team/", {"email": "joiner@example.com"})
    token = re.search(r"token=(\S+)", mail.outbox[-1].body).group(1)
    joiner = factories.make_user("joiner-")
    joiner.email = "joiner@example.com"
    joiner.save()
    with one_new_row(hotel_a, audit.MEMBER_JOINED) as rows:
        client_of(joiner).post("/accept-invite/", {"token": token})
    assert (rows[0].actor, rows[0].object_repr) == (joiner, "joiner@example.com")
    assert rows[0].changes == {"role": ["None", "staff"]}

    membership = Membership.objects.get(user=joiner)
    with one_new_row(hotel_a, audit.ROLE_CHANGED) as rows:
        membership.role = Role.OWNER
        membership.save()
    assert rows[0].changes == {"role": ["staff", "owner"]}
    membership.role = Role.STAFF
    membership.save()

    with one_new_row(hotel_a, audit.MEMBER_REMOVED) as rows:
        owner.post(f"/settings/team/members/{membership.public_id}/remove/")
    assert rows[0].actor == hotel_a.owner


# --- logins ----------------------------------------------------------------------------------


def test_a_login_writes_one_row_for_the_accounts_hotel(client: Client, hotel_a) -> None:
    with one_new_row(hotel_a, audit.LOGIN) as rows:
        log_in(client, hotel_a.staff.email, factories.PASSWORD)
    assert rows[0].actor == hotel_a.staff and rows[0].remote_addr == "127.0.0.1"


def test_a_failed_login_writes_one_row_and_the_lockout_one_more(
    client: Client, hotel_a, settings
) -> None:
    with one_new_row(hotel_a, audit.LOGIN_FAILED) as rows:
        log_in(client, hotel_a.staff.email, "wrong-password")
    assert rows[0].actor is None and rows[0].object_repr == hotel_a.staff.email
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        log_in(client, hotel_a.staff.email, "wrong-password")
    with one_new_row(hotel_a, audit.LOCKED_OUT):
        assert log_in(client, hotel_a.staff.email, "wrong-password").status_code == 429
    before = AuditEntry.objects.count()
    assert log_in(client, hotel_a.staff.email, factories.PASSWORD).status_code == 429
    assert AuditEntry.objects.count() == before, "a refusal while locked adds nothing"


def test_a_failed_login_for_an_unknown_address_writes_nothing(client: Client, hotel_a) -> None:
    before = AuditEntry.objects.count()
    log_in(client, "nobody@example.com", "wrong-password")
    assert AuditEntry.objects.count() == before


# --- settings and connections ----------------------------------------------------------------


def test_hotel_details_write_one_row_with_the_change(owner: Client, hotel_a) -> None:
    form = {"name": "Hotel Alpha Baru", "time_zone": "Asia/Jakarta", "default_language": "en"}
    with one_new_row(hotel_a, audit.HOTEL_CHANGED) as rows:
        owner.post("/settings/hotel/", form)
    assert rows[0].changes == {"name": ["Hotel Alpha", "Hotel Alpha Baru"]}


def test_pms_credentials_and_webhook_secret_write_one_row_each(owner: Client, hotel_a) -> None:
    mews = {
        "provider": "mews",
        "base_url": "https://api.mews-demo.com",
        "client_token": PMS_CLIENT_TOKEN,
        "access_token": PMS_ACCESS_TOKEN,
    }
    with one_new_row(hotel_a, "pms.connected") as rows:
        owner.post("/settings/pms/", mews)
    assert rows[0].changes["credentials_encrypted"] == ["", audit.SECRET]
    with one_new_row(hotel_a, "pms.changed") as rows:
        owner.post("/settings/pms/", {**mews, "access_token": PMS_NEW_ACCESS_TOKEN})
    assert rows[0].changes == {"credentials_encrypted": [audit.SECRET, audit.SECRET]}
    before = AuditEntry.objects.count()
    owner.post("/settings/pms/", {**mews, "access_token": ""})  # kept as it was
    assert AuditEntry.objects.count() == before, "saving the same credentials changes nothing"
    with one_new_row(hotel_a, "pms.webhook_secret_rotated"):
        owner.post("/settings/pms/webhook-secret/")


def test_whatsapp_connect_pace_and_disconnect_write_one_row_each(
    owner: Client, hotel_a, fake_waha
) -> None:
    with one_new_row(hotel_a, "whatsapp.connected") as rows:
        owner.post("/api/waha/start/")
    assert rows[0].actor == hotel_a.owner
    with one_new_row(hotel_a, "whatsapp.pace_changed") as rows:
        owner.post("/settings/waha/pace/", {"sends_per_minute": "4"})
    assert rows[0].changes == {"sends_per_minute": ["None", "4"]}
    with one_new_row(hotel_a, "whatsapp.disconnected"):
        owner.post("/api/waha/logout/")


def test_template_edits_write_one_row_each(owner: Client, hotel_a) -> None:
    seed_default_templates(hotel_a.tenant)
    template = MessageTemplate.objects.get(tenant=hotel_a.tenant, trigger="pre-arrival")
    english = template.variants.get(language_code="en")
    with one_new_row(hotel_a, "templates.text_edited") as rows:
        owner.post(
            f"/settings/templates/variants/{english.public_id}/",
            {"content": "See you soon, {{guestName}}!", "is_active": "on"},
        )
    assert rows[0].changes["content"][1] == "See you soon, {{guestName}}!"
    assert rows[0].object_repr == f"{template.name} (en)"
    with one_new_row(hotel_a, "templates.text_added"):
        owner.post(
            f"/settings/templates/{template.public_id}/add/",
            {"language_code": "de", "content": "Bis bald, {{guestName}}!", "is_active": "on"},
        )
    german = template.variants.get(language_code="de")
    with one_new_row(hotel_a, "templates.text_deleted"):
        owner.post(f"/settings/templates/variants/{german.public_id}/delete/")
    with one_new_row(hotel_a, "templates.sending_off"):
        owner.post(f"/settings/templates/{template.public_id}/toggle/")
    with one_new_row(hotel_a, "templates.sending_on"):
        owner.post(f"/settings/templates/{template.public_id}/toggle/")


def test_opening_the_templates_page_or_setting_up_a_hotel_is_no_edit(
    owner: Client, hotel_a
) -> None:
    before = AuditEntry.objects.count()
    owner.get("/settings/templates/?trigger=on-stay")  # creates the template row
    assert MessageTemplate.objects.filter(tenant=hotel_a.tenant, trigger="on-stay").exists()
    assert AuditEntry.objects.count() == before


def test_the_worker_changing_a_connection_is_no_one_s_edit(hotel_a) -> None:
    factories.fill_every_table(hotel_a)
    before = AuditEntry.objects.count()
    config = PMSConfiguration.objects.get(tenant=hotel_a.tenant)
    config.health = "failing"
    config.last_error = "timeout"
    config.save()
    assert AuditEntry.objects.count() == before


# --- the API other apps call -----------------------------------------------------------------

EXPORTED = audit.event("test.guest_exported", "Exported a guest's data")


def test_record_writes_one_row_for_the_requests_hotel_and_masks_secret_details(
    rf: Any, hotel_a
) -> None:
    request = rf.post("/")
    request.user, request.tenant = hotel_a.owner, hotel_a.tenant
    with one_new_row(hotel_a, EXPORTED) as rows:
        audit.record(
            request,
            EXPORTED,
            hotel_a.guest,
            {"format": "json", "api_key": "K-123", "nested": {"password": "p"}},
        )
    row = rows[0]
    assert (row.actor, row.object_repr) == (hotel_a.owner, str(hotel_a.guest))
    assert row.additional_data == {
        "format": "json",
        "api_key": audit.SECRET,
        "nested": {"password": audit.SECRET},
    }
    with pytest.raises(ValueError, match="unknown audit event"):
        audit.record(hotel_a.tenant, "made.up")


# --- no secrets, anywhere --------------------------------------------------------------------


def test_no_audit_row_contains_a_secret(owner: Client, hotel_a, fake_waha, settings) -> None:
    """Every audited action with secrets in play, then every column of every row searched."""
    owner.post(
        "/settings/pms/",
        {
            "provider": "mews",
            "base_url": "https://api.mews-demo.com",
            "client_token": PMS_CLIENT_TOKEN,
            "access_token": PMS_ACCESS_TOKEN,
        },
    )
    owner.post("/settings/pms/webhook-secret/")
    config = PMSConfiguration.objects.get(tenant=hotel_a.tenant)
    webhook_secret = pms_webhook.secret_for(config)
    owner.post("/settings/team/", {"email": "new.desk@example.com"})
    invitation_token = re.search(r"token=(\S+)", mail.outbox[-1].body).group(1)
    owner.post("/api/waha/start/")
    log_in(Client(), hotel_a.staff.email, "Guessed-Password-9")
    log_in(Client(), hotel_a.staff.email, factories.PASSWORD)
    secrets = {
        "PMS client token": PMS_CLIENT_TOKEN,
        "PMS access token": PMS_ACCESS_TOKEN,
        "webhook secret": webhook_secret,
        "invitation token": invitation_token,
        "guessed password": "Guessed-Password-9",
        "password": factories.PASSWORD,
        "WAHA key": settings.WAHA_API_KEY,
        "WAHA HMAC key": settings.WAHA_WEBHOOK_HMAC_KEY,
        # Encrypted is no excuse: the stored ciphertexts stay out too.
        "encrypted credentials": config.credentials_encrypted,
        "encrypted webhook secret": config.webhook_secret_encrypted,
    }
    rows = list(AuditEntry.objects.values())
    assert len(rows) >= 6
    stored = "\n".join(repr(row) for row in rows)
    for name, secret in secrets.items():
        # Any 8 characters in a row of it: auditlog's own mask would keep half of a value.
        pieces = {secret[i : i + 8] for i in range(len(secret) - 7)}
        leaked = sorted(piece for piece in pieces if piece in stored)
        assert not leaked, f"the audit log holds part of the {name}: {leaked[:5]}"


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_who_did_what_and_when_without_secrets(owner: Client, hotel_a) -> None:
    owner.post(
        "/settings/pms/",
        {
            "provider": "mews",
            "base_url": "https://api.mews-demo.com",
            "client_token": PMS_CLIENT_TOKEN,
            "access_token": PMS_ACCESS_TOKEN,
        },
    )
    owner.post("/settings/team/", {"email": "new.desk@example.com"})
    page = owner.get("/settings/audit/").content.decode()
    assert "Invited a team member" in page and "new.desk@example.com" in page
    assert "Connected the PMS" in page and "Credentials: changed" in page
    assert hotel_a.owner.email in page
    assert PMS_ACCESS_TOKEN not in page


def test_the_page_is_the_owners_and_shows_only_their_hotel(owner: Client, hotel_a, hotel_b) -> None:
    client_of(hotel_b.owner).post("/settings/team/", {"email": "bravo.desk@example.com"})
    owner.post("/settings/team/", {"email": "alpha.desk@example.com"})
    page = owner.get("/settings/audit/").content.decode()
    assert "alpha.desk@example.com" in page and "bravo.desk@example.com" not in page
    refused = client_of(hotel_a.staff).get("/settings/audit/")
    assert refused.status_code == 403 and "alpha.desk@example.com" not in refused.content.decode()


def test_the_page_is_paginated(owner: Client, hotel_a) -> None:
    for n in range(55):
        audit.record(hotel_a.tenant, audit.INVITATION_REVOKED, about=f"old{n:02d}@example.com")
    first = owner.get("/settings/audit/").content.decode()
    second = owner.get("/settings/audit/?page=2").content.decode()
    assert "old54@example.com" in first and "old00@example.com" not in first
    assert "old00@example.com" in second and "Page 2 of 2" in second


def test_the_page_speaks_indonesian(owner: Client, hotel_a) -> None:
    hotel_a.owner.ui_language = UILanguage.INDONESIAN
    hotel_a.owner.save(update_fields=["ui_language"])
    owner.post("/settings/team/", {"email": "new.desk@example.com"})
    page = owner.get("/settings/audit/").content.decode()
    assert '<html lang="id"' in page
    assert "Log audit" in page and "Mengundang anggota tim" in page
    assert "Invited a team member" not in page


def test_moving_the_demo_pms_clock_is_no_credential_change(owner: Client, hotel_a) -> None:
    owner.post("/settings/pms/", {"provider": "demo"})
    before = AuditEntry.objects.count()
    owner.post("/settings/pms/demo/advance/")
    assert AuditEntry.objects.count() == before
