"""The guests and reservations pages on PostgreSQL, connected as the app role under RLS."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from automation.models import AutomationJob, JobKind
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("persona", ["owner", "staff"])
def test_it_hides_other_tenants_records(persona: str) -> None:
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    with acting_for_tenant(a.tenant.id):
        AutomationJob.objects.create(
            tenant=a.tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=f"{a.reservation.pk}:pre-arrival",
            payload={"trigger": "pre-arrival"},
            reservation=a.reservation,
            run_at=a.reservation.created_at,
        )
    client = Client()
    with django_connected_as(settings.DB_APP_ROLE):
        client.force_login(getattr(a, persona))
        guests = client.get("/guests/", {"q": "Ana", "sort": "-joined"}).content.decode()
        reservations = client.get(
            "/reservations/", {"status": "pre-arrival", "from": "2000-01-01"}
        ).content.decode()
        detail = client.get(f"/reservations/{a.reservation.public_id}/").content.decode()
        other_guest = client.get(f"/guests/{b.guest.public_id}/")
        other_reservation = client.get(f"/reservations/{b.reservation.public_id}/")

    assert a.guest.full_name in guests and b.guest.full_name not in guests
    assert str(a.reservation.public_id) in reservations
    assert str(b.reservation.public_id) not in reservations
    assert "Pre-arrival message" in detail
    assert other_guest.status_code == 404 and other_reservation.status_code == 404


def test_the_apps_connections_never_jit_compile_a_query() -> None:
    # The dashboard's feedback card spent 570 ms JIT-compiling one correlated query (1 ms of
    # work) at 100,000 reservations: Innbox's connections run with JIT off.
    from django.db import connection

    with django_connected_as(settings.DB_APP_ROLE), connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
