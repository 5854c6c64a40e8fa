"""Set the row-level-security context (see tenancy.rls) for the current transaction.

On PostgreSQL these are `set_config(name, value, true)`, i.e. SET LOCAL: they vanish when the
transaction ends, so a pooled connection never carries one request's tenant into the next.
On SQLite they do nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
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
    if local:
        _remember(values)


# What this module set, so that it is not asked of the database again (each question is a
# statement, and a PMS event or a send would ask several times):
# - in the current transaction (SET LOCAL): kept with a marker among the transaction's on-commit
#   callbacks. Django drops those when the transaction ends and when the savepoint they were
#   registered in is rolled back, exactly when PostgreSQL forgets a SET LOCAL; a missing marker
#   means "not known", and the database is asked.
# - for the session (a worker's job, working_for_tenant): valid while the same database
#   connection is open, until the job ends.
_LOCAL = "innbox_rls_local"
_SESSION = "innbox_rls_session"


def _remember(values: list[str]) -> None:
    if not connection.in_atomic_block:
        return

    def marker() -> None:
        pass

    transaction.on_commit(marker)
    setattr(connection, _LOCAL, (list(values), marker))


def _known_local() -> tuple[list[str], object] | None:
    record = getattr(connection, _LOCAL, None)
    if record is None or not connection.in_atomic_block:
        return None
    marker = record[1]
    if any(entry[1] is marker for entry in connection.run_on_commit):
        return record  # type: ignore[no-any-return]
    return None


def _known_session() -> list[str] | None:
    record = getattr(connection, _SESSION, None)
    if record is None or record[1] is not connection.connection:
        return None
    return record[0]  # type: ignore[no-any-return]


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


def set_db_context_from(lookup: str, params: list[Any], role: DbRole) -> UUID | None:
    """Find a tenant with `lookup` (SQL answering one tenant id, or none) and act for it, in
    one statement: a webhook's transaction then costs no separate lookup. Inside a transaction;
    without a tenant found the context stays empty."""
    if not connection.in_atomic_block:
        raise RuntimeError("the RLS context must be set inside transaction.atomic()")
    # `lookup` is one of tenancy.lookups' fixed statements; its values are parameters.
    sql = (
        "SELECT found.id, set_config(%s, coalesce(found.id::text, ''), true), "  # noqa: S608
        "set_config(%s, CASE WHEN found.id IS NULL THEN '' ELSE %s END, true), "
        f"set_config(%s, '', true) FROM ({lookup}) AS found(id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_SETTINGS[0], _SETTINGS[1], role, _SETTINGS[2], *params])
        row = cursor.fetchone()
    tenant_id = row[0] if row else None
    _remember([str(tenant_id), role, ""] if tenant_id else ["", "", ""])
    return tenant_id


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

    It costs one statement at most (SET LOCAL), and none when the context is already this one:
    nested in a transaction acting for the same tenant, or in a worker's job for it (the
    session's context). Opening the transaction, it needs nothing put back: SET LOCAL ends
    with it.
    """
    wanted = [str(tenant_id), role, ""]
    if not enforces_rls():
        with transaction.atomic(), structlog.contextvars.bound_contextvars(tenant_id=wanted[0]):
            yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        before = None if outermost else _known_local()
        if outermost:
            current, previous = _known_session(), None
        elif before is not None:
            current = previous = before[0]
        else:  # set by someone else, or rolled back since: ask
            current = previous = _current_all()
        unchanged = current is not None and current[:2] == wanted[:2]
        if unchanged:
            if before is None:
                _remember(current)  # type: ignore[arg-type]
        else:
            _set_all(wanted)
        try:
            with structlog.contextvars.bound_contextvars(tenant_id=wanted[0]):
                yield
            if previous is not None and not unchanged:
                _set_all(previous)
        finally:
            # On an error the savepoint's rollback restores the database's context (and drops
            # the markers set inside it): what was known before is true again.
            if before is not None:
                setattr(connection, _LOCAL, before)


@contextmanager
def one_statement_for_tenant(tenant_id: UUID) -> Iterator[None]:
    """For a single statement for the tenant (a lease renewed, a job's outcome): in a worker's
    job for this tenant outside any transaction, the session's context covers it and the
    statement is its own transaction (no BEGIN, no SET, no COMMIT); otherwise it runs in
    acting_for_tenant."""
    known = _known_session() if enforces_rls() else None
    if (
        known is not None
        and not connection.in_atomic_block
        and known[:2] == [str(tenant_id), "system"]
    ):
        yield
        return
    with acting_for_tenant(tenant_id):
        yield


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
    setattr(connection, _SESSION, ([str(tenant_id), "system", ""], connection.connection))
    try:
        with structlog.contextvars.bound_contextvars(tenant_id=str(tenant_id)):
            yield
    finally:
        _forget_session_context()


def _forget_session_context() -> None:
    """Clear the session's tenant; a connection that cannot be cleared is closed instead, so no
    later job of another hotel can inherit the setting."""
    setattr(connection, _SESSION, None)
    try:
        if connection.in_atomic_block or connection.needs_rollback:
            raise DatabaseError("left inside a transaction")
        _set_all(["", "", ""], local=False)
    except DatabaseError:
        connection.close()
