"""The database's escape hatches: lookups made before any hotel is known.

Under row-level security the app and worker roles see only the rows of the hotel in context, so
a question like "whose invitation is this token?" cannot be asked with the ORM: RLS hides the
answer until the hotel is known. Each such question is one SECURITY DEFINER function on
PostgreSQL (created by the migration named beside it) that answers the hotel and nothing more;
on SQLite, which has no RLS, the same question is an ordinary query. They live here, together,
so that every way around RLS is in one file, each with its test on both databases
(tests/test_lookups.py).

Models of apps above tenancy are reached through the app registry, not imported: tenancy sits
below them (architecture.md's layers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from tenancy.db import DbRole, enforces_rls, set_db_context_from
from tenancy.models import Tenant


def _one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _all(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def tenant_by_public_id(public_id: UUID) -> UUID | None:
    """The hotel a public webhook URL names (tenancy 0002: app_tenant_by_public_id)."""
    if enforces_rls():
        row = _one("SELECT app_tenant_by_public_id(%s)", [public_id])
        return row[0] if row else None
    return Tenant.objects.filter(public_id=public_id).values_list("id", flat=True).first()


def act_for_tenant_by_public_id(public_id: UUID, role: DbRole = "system") -> UUID | None:
    """The hotel a public webhook URL names, with the transaction's context set for it in the
    same statement (tenancy.db.set_db_context_from); None, and no context, for an unknown one.
    Inside a transaction."""
    if enforces_rls():
        return set_db_context_from("SELECT app_tenant_by_public_id(%s)", [public_id], role)
    return tenant_by_public_id(public_id)


def scheduled_tenant_ids() -> list[UUID]:
    """Every hotel, for the scheduler (automation 0005: app_scheduled_tenant_ids)."""
    if enforces_rls():
        return [row[0] for row in _all("SELECT * FROM app_scheduled_tenant_ids()", [])]
    return list(Tenant.objects.order_by("created_at", "id").values_list("id", flat=True))


def tenant_of_invitation(token_hash: str) -> UUID | None:
    """The hotel that issued an invitation link (tenancy 0003: app_invitation_tenant)."""
    if enforces_rls():
        row = _one("SELECT app_invitation_tenant(%s)", [token_hash])
        return row[0] if row else None
    invitation = apps.get_model("tenancy", "Invitation")
    return (
        invitation.objects.filter(token_hash=token_hash).values_list("tenant_id", flat=True).first()
    )


def tenant_of_user(user_id: int) -> UUID | None:
    """The hotel an account works for, asked before the request has one: a login's audit row
    (tenancy 0007: app_tenant_of_user). A failed login is anonymous, so the account's own
    membership row is not readable then."""
    if enforces_rls():
        row = _one("SELECT app_tenant_of_user(%s)", [user_id])
        return row[0] if row else None
    membership = apps.get_model("tenancy", "Membership")
    return membership.objects.filter(user_id=user_id).values_list("tenant_id", flat=True).first()


def reservation_by_feedback_token(digest: str) -> tuple[int, UUID] | None:
    """(reservation id, hotel) of a feedback link (feedback's app_reservation_by_feedback_token)."""
    if enforces_rls():
        row = _one("SELECT * FROM app_reservation_by_feedback_token(%s)", [digest])
        return (row[0], row[1]) if row else None
    reservation = apps.get_model("hotel", "Reservation")
    found = (
        reservation.objects.filter(feedback_token_hash=digest)
        .values_list("pk", "tenant_id")
        .first()
    )
    return (found[0], found[1]) if found else None


def waha_session_owner(session_name: str) -> tuple[UUID, str] | None:
    """(hotel, hotel name) holding a WAHA session (whatsapp's app_waha_session_owner)."""
    if enforces_rls():
        row = _one("SELECT * FROM app_waha_session_owner(%s)", [session_name])
        return (row[0], row[1]) if row else None
    configuration = apps.get_model("whatsapp", "WahaConfiguration")
    found = (
        configuration.objects.filter(session_name=session_name)
        .values_list("tenant_id", "tenant__name")
        .first()
    )
    return (found[0], found[1]) if found else None


def claim_due_jobs(
    worker: str, lease_seconds: int, limit: int, now: dt.datetime
) -> list[tuple[int, UUID]]:
    """Lease up to `limit` due jobs of any hotel to `worker`: (job id, hotel) each.

    PostgreSQL: automation 0006's app_claim_due_jobs, FOR UPDATE SKIP LOCKED, so many workers
    share the queue. SQLite: one UPDATE in an IMMEDIATE transaction, for the single worker of a
    small installation."""
    if enforces_rls():
        rows = _all(
            "SELECT * FROM app_claim_due_jobs(%s, %s, %s, %s)", [worker, lease_seconds, limit, now]
        )
        return [(row[0], row[1]) for row in rows]
    job = apps.get_model("automation", "AutomationJob")
    with transaction.atomic():
        due = list(
            job.objects.filter(
                Q(status__in=["queued", "retrying"], run_at__lte=now)
                | Q(status="running", locked_until__lt=now)  # a dead worker's lease
            )
            .order_by("run_at")
            .values_list("pk", "tenant_id")[:limit]
        )
        job.objects.filter(pk__in=[pk for pk, _ in due]).update(
            status="running",
            locked_by=worker,
            locked_until=now + dt.timedelta(seconds=lease_seconds),
            updated_at=now,
        )
    return [(pk, tenant_id) for pk, tenant_id in due]
