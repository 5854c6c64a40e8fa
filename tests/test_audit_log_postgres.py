"""The audit log under PostgreSQL's row-level security, connected as the app role (innbox_app):
a hotel reads only its own rows, staff only rows naming them, nobody changes or deletes a row,
and the rows of anonymous requests (failed logins) and of every audited page still get written."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test import Client

from messaging.defaults import seed_default_templates
from messaging.models import MessageTemplate
from tenancy import audit
from tenancy.db import acting_for_tenant, set_db_context
from tenancy.models import AuditEntry, Tenant
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_hotels() -> tuple[factories.Hotel, factories.Hotel]:
    return factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def events_of(hotel: factories.Hotel) -> list[str]:
    """Read past RLS (the test's own connection is the tables' owner)."""
    return list(
        AuditEntry.objects.filter(tenant=hotel.tenant)
        .order_by("pk")
        .values_list("event", flat=True)
    )


def test_every_audited_page_writes_its_row_as_the_app_role(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    with acting_for_tenant(a.tenant.id, role="owner"):
        seed_default_templates(a.tenant)
    template = MessageTemplate.objects.get(tenant=a.tenant, trigger="pre-arrival")
    before = len(events_of(a))
    with django_connected_as(settings.DB_APP_ROLE):
        owner = client_of(a.owner)
        assert owner.post("/settings/team/", {"email": "desk@example.com"}).status_code == 302
        form = {"name": "Hotel Alpha Baru", "time_zone": "Asia/Jakarta", "default_language": "en"}
        assert owner.post("/settings/hotel/", form).status_code == 302
        pms = {"provider": "mews", "base_url": "https://api.mews-demo.com",
               "client_token": "c" * 20, "access_token": "a" * 20}  # fmt: skip
        assert owner.post("/settings/pms/", pms).status_code == 302
        assert owner.post("/settings/pms/webhook-secret/").status_code == 302
        assert owner.post(f"/settings/templates/{template.public_id}/toggle/").status_code == 302
        page = owner.get("/settings/audit/")
    assert events_of(a)[before:] == [
        audit.LOGIN,  # force_login is a login
        audit.INVITATION_SENT,
        audit.HOTEL_CHANGED,
        "pms.connected",
        "pms.webhook_secret_rotated",
        "templates.sending_off",
    ]
    assert page.status_code == 200
    assert "desk@example.com" in page.content.decode()


def test_logins_failures_and_lockouts_are_written_before_any_hotel_is_known(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, b = two_hotels
    before_a, before_b = len(events_of(a)), len(events_of(b))
    with django_connected_as(settings.DB_APP_ROLE):
        visitor = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            visitor.post("/login/", {"username": a.staff.email, "password": "wrong-password"})
        Client().post("/login/", {"username": a.owner.email, "password": factories.PASSWORD})
    assert events_of(a)[before_a:] == [audit.LOGIN_FAILED] * (settings.AXES_FAILURE_LIMIT - 1) + [
        audit.LOCKED_OUT,
        audit.LOGIN,
    ]
    assert len(events_of(b)) == before_b


def test_a_hotel_reads_only_its_own_rows_even_unfiltered(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, b = two_hotels
    with django_connected_as(settings.DB_APP_ROLE):
        client_of(a.owner).post("/settings/team/", {"email": "alpha.desk@example.com"})
        client_of(b.owner).post("/settings/team/", {"email": "bravo.desk@example.com"})
        with acting_for_tenant(a.tenant.id, role="owner"):
            seen = list(AuditEntry.objects.values_list("tenant_id", "object_repr"))
        page = client_of(a.owner).get("/settings/audit/").content.decode()
    assert {tenant for tenant, _ in seen} == {a.tenant.id}
    assert "alpha.desk@example.com" in [about for _, about in seen]
    assert "alpha.desk@example.com" in page and "bravo.desk@example.com" not in page


def test_staff_read_only_rows_that_name_them(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    with django_connected_as(settings.DB_APP_ROLE):
        client_of(a.owner).post("/settings/team/", {"email": "desk@example.com"})
        client_of(a.staff)  # the staff member's own login
        with transaction.atomic():
            set_db_context(tenant_id=a.tenant.id, role="staff", user_id=a.staff.pk)
            seen = list(AuditEntry.objects.values_list("actor_id", flat=True))
    assert seen and set(seen) == {a.staff.pk}


def test_no_one_changes_or_deletes_a_row_nor_writes_one_in_anothers_name(
    two_hotels: tuple[factories.Hotel, factories.Hotel],
) -> None:
    a, _ = two_hotels
    rows = len(events_of(a))
    with django_connected_as(settings.DB_APP_ROLE):
        with acting_for_tenant(a.tenant.id, role="owner"), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_entries SET event = 'forged'")
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM audit_entries")
            assert cursor.rowcount == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            set_db_context(tenant_id=a.tenant.id, role="staff", user_id=a.staff.pk)
            AuditEntry.objects.create(
                tenant=a.tenant,
                event=audit.MEMBER_REMOVED,
                action=AuditEntry.Action.ACCESS,
                content_type=ContentType.objects.get_for_model(Tenant),
                object_pk="x",
                object_repr="forged",
                actor=a.owner,
            )
    assert len(events_of(a)) == rows
    assert "forged" not in events_of(a)
