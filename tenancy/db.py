"""Set the row-level-security context (see tenancy.rls) for the current transaction.

On PostgreSQL these are `set_config(name, value, true)`, i.e. SET LOCAL: they vanish when the
transaction ends, so a pooled connection never carries one request's tenant into the next.
On SQLite they do nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal
from uuid import UUID

import structlog
from django.db import DatabaseError, connection, transaction

DbRole = Literal["owner", "staff", "system"]
_SETTINGS = ("app.tenant_id", "app.role", "app.user_id")


def _set_all(values: list[str], *, local: bool = True) -> None:
    """All three settings in one round trip: every request and job sets them, often twice.
    `local` (SET LOCAL) ends with the transaction; otherwise they last for the session."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, %s), set_config(%s, %s, %s), set_config(%s, %s, %s)",
            [
                part
                for name, value in zip(_SETTINGS, values, strict=True)
                for part in (name, value, local)
            ],
        )


def enforces_rls() -> bool:
    return connection.vendor == "postgresql"


def set_db_context(
    *, tenant_id: UUID | None = None, role: DbRole | None = None, user_id: int | None = None
) -> None:
    """Must run inside a transaction (SET LOCAL outside one is a no-op)."""
    if not enforces_rls():
        return
    if not connection.in_atomic_block:
        raise RuntimeError("the RLS context must be set inside transaction.atomic()")
    _set_all(
        [
            str(tenant_id) if tenant_id else "",
            role or "",
            str(user_id) if user_id is not None else "",
        ]
    )


def _current_all() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), current_setting(%s, true), "
            "current_setting(%s, true)",
            list(_SETTINGS),
        )
        return [value or "" for value in cursor.fetchone()]


@contextmanager
def acting_for_tenant(tenant_id: UUID, role: DbRole = "system") -> Iterator[None]:
    """Work for one tenant in one transaction: how the worker and webhooks touch tenant data.

        with acting_for_tenant(job.tenant_id):
            ...  # every query sees only this tenant's rows

    A worker handles one job, hence one tenant, per transaction, and never mixes two. Nested in
    a request's transaction (accepting an invitation), the request's own context is put back
    afterwards; on an error the savepoint's rollback restores it.
    """
    with transaction.atomic():
        previous = _current_all() if enforces_rls() else None
        # Already acting for this tenant in this role (nested service calls): nothing to change.
        unchanged = previous is not None and previous[:2] == [str(tenant_id), role]
        if not unchanged:
            set_db_context(tenant_id=tenant_id, role=role)
        with structlog.contextvars.bound_contextvars(tenant_id=str(tenant_id)):
            yield
        if previous is not None and not unchanged:
            _set_all(previous)


@contextmanager
def working_for_tenant(tenant_id: UUID) -> Iterator[None]:
    """One background job, from its claim to its outcome, for its hotel only.

    A job spans several transactions (a sync commits page by page, a send records its attempt
    before calling WAHA), and each of them opens `acting_for_tenant`. Between them, though, the
    queue still reads and writes the job itself; outside a tenant context RLS hides every row and
    the worker died on the first deferral. So the worker's connection carries the job's tenant
    as a session setting for the whole job, and drops it afterwards, before the next job of
    possibly another hotel. The web never uses this: its context is per transaction.
    """
    if not enforces_rls():
        with structlog.contextvars.bound_contextvars(tenant_id=str(tenant_id)):
            yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("a job's tenant context is set outside any transaction")
    _set_all([str(tenant_id), "system", ""], local=False)
    try:
        with structlog.contextvars.bound_contextvars(tenant_id=str(tenant_id)):
            yield
    finally:
        _forget_session_context()


def _forget_session_context() -> None:
    """Clear the session's tenant; a connection that cannot be cleared is closed instead, so no
    later job of another hotel can inherit the setting."""
    try:
        if connection.in_atomic_block or connection.needs_rollback:
            raise DatabaseError("left inside a transaction")
        _set_all(["", "", ""], local=False)
    except DatabaseError:
        connection.close()
