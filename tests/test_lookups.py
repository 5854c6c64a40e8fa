"""tenancy.lookups, every way around RLS, on SQLite and on PostgreSQL as the role that uses it:
each answers its own hotel and nothing of another."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from automation.models import AutomationJob, JobKind
from feedback import services as feedback_services
from tenancy import lookups
from tenancy.db import acting_for_tenant
from tenancy.models import Invitation
from tests import factories
from whatsapp.models import WahaConfiguration


@contextmanager
def as_role(role_setting: str | None) -> Iterator[None]:
    if role_setting is None:
        with nullcontext():
            yield
        return
    from tests.helpers import django_connected_as

    with django_connected_as(getattr(settings, role_setting)):
        yield


def two_hotels() -> tuple[factories.Hotel, factories.Hotel]:
    return factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")


def check_tenant_by_public_id(role: str | None) -> None:
    alpha, bravo = two_hotels()
    with as_role(role):
        assert lookups.tenant_by_public_id(alpha.tenant.public_id) == alpha.tenant.id
        assert lookups.tenant_by_public_id(bravo.tenant.public_id) == bravo.tenant.id
        assert lookups.tenant_by_public_id(uuid.uuid4()) is None


def check_act_for_tenant_by_public_id(role: str | None) -> None:
    """The hotel found, and acted for in the same transaction: its rows are visible, another's
    are not; an unknown URL finds none and sees nothing."""
    from django.db import transaction

    from hotel.models import Guest

    alpha, bravo = two_hotels()
    with as_role(role):
        with transaction.atomic():
            assert lookups.act_for_tenant_by_public_id(alpha.tenant.public_id) == alpha.tenant.id
            seen = set(Guest.objects.values_list("tenant_id", flat=True))
            assert alpha.tenant.id in seen
            if role is not None:
                assert bravo.tenant.id not in seen
        with transaction.atomic():
            assert lookups.act_for_tenant_by_public_id(uuid.uuid4()) is None
            if role is not None:
                assert not Guest.objects.exists()


def check_scheduled_tenant_ids(role: str | None) -> None:
    alpha, bravo = two_hotels()
    with as_role(role):
        assert set(lookups.scheduled_tenant_ids()) >= {alpha.tenant.id, bravo.tenant.id}


def check_tenant_of_invitation(role: str | None) -> None:
    alpha, _ = two_hotels()
    token_hash = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    with acting_for_tenant(alpha.tenant.id, role="owner"):
        Invitation.objects.create(
            tenant=alpha.tenant,
            invited_email="new@example.com",
            invited_by=alpha.owner,
            token_hash=token_hash,
            expires_at=timezone.now() + dt.timedelta(days=7),
        )
    with as_role(role):
        assert lookups.tenant_of_invitation(token_hash) == alpha.tenant.id
        assert lookups.tenant_of_invitation("0" * 64) is None


def check_reservation_by_feedback_token(role: str | None) -> None:
    _, bravo = two_hotels()
    with acting_for_tenant(bravo.tenant.id):
        link = feedback_services.issue_link(bravo.reservation)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    with as_role(role):
        found = lookups.reservation_by_feedback_token(feedback_services._hash(token))
        assert found == (bravo.reservation.pk, bravo.tenant.id)
        assert lookups.reservation_by_feedback_token("0" * 64) is None


def check_waha_session_owner(role: str | None) -> None:
    alpha, _ = two_hotels()
    with acting_for_tenant(alpha.tenant.id, role="owner"):
        WahaConfiguration.objects.create(tenant=alpha.tenant, session_name="hotel_alpha")
    with as_role(role):
        assert lookups.waha_session_owner("hotel_alpha") == (alpha.tenant.id, "Hotel Alpha")
        assert lookups.waha_session_owner("nobody") is None


def check_tenant_of_user(role: str | None) -> None:
    alpha, bravo = two_hotels()
    loner = factories.make_user("loner-")
    with as_role(role):
        assert lookups.tenant_of_user(alpha.staff.pk) == alpha.tenant.id
        assert lookups.tenant_of_user(bravo.owner.pk) == bravo.tenant.id
        assert lookups.tenant_of_user(loner.pk) is None


def check_claim_due_jobs(role: str | None) -> None:
    alpha, bravo = two_hotels()
    now = timezone.now()
    for hotel in (alpha, bravo):
        AutomationJob.objects.create(tenant=hotel.tenant, kind=JobKind.PMS_SYNC, run_at=now)
    AutomationJob.objects.create(
        tenant=alpha.tenant, kind=JobKind.PMS_SYNC, run_at=now + dt.timedelta(hours=1)
    )
    with as_role(role):
        claimed = lookups.claim_due_jobs("worker-1", 60, 10, now)
        assert sorted(tenant for _, tenant in claimed) == sorted([alpha.tenant.id, bravo.tenant.id])
        assert lookups.claim_due_jobs("worker-2", 60, 10, now) == []  # leased, or not yet due
        later = now + dt.timedelta(hours=2)  # the first lease ran out, the third job is due
        assert len(lookups.claim_due_jobs("worker-2", 60, 10, later)) == 3


CHECKS: dict[str, tuple[Callable[[str | None], None], str]] = {
    "tenant_by_public_id": (check_tenant_by_public_id, "DB_APP_ROLE"),
    "act_for_tenant_by_public_id": (check_act_for_tenant_by_public_id, "DB_APP_ROLE"),
    "scheduled_tenant_ids": (check_scheduled_tenant_ids, "DB_WORKER_ROLE"),
    "tenant_of_invitation": (check_tenant_of_invitation, "DB_APP_ROLE"),
    "reservation_by_feedback_token": (check_reservation_by_feedback_token, "DB_APP_ROLE"),
    "waha_session_owner": (check_waha_session_owner, "DB_APP_ROLE"),
    "tenant_of_user": (check_tenant_of_user, "DB_APP_ROLE"),
    "claim_due_jobs": (check_claim_due_jobs, "DB_WORKER_ROLE"),
}


def test_every_lookup_has_its_checks() -> None:
    public = {
        name
        for name in vars(lookups)
        if not name.startswith("_")
        and callable(getattr(lookups, name))
        and getattr(getattr(lookups, name), "__module__", "") == lookups.__name__
    }
    assert public == set(CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_lookup_on_sqlite(name: str) -> None:
    CHECKS[name][0](None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_lookup_on_postgres_as_its_role(name: str, settings: Any) -> None:
    check, role = CHECKS[name]
    check(role)
