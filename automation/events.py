"""Inbound events stored once: the row that tells a redelivery from a new event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection
from django.utils import timezone

from automation.models import InboundEvent
from innbox.db_errors import is_unique_violation

MAX_EVENT_ID_LENGTH: int = InboundEvent._meta.get_field("event_id").max_length  # type: ignore[assignment]


def record_once(
    tenant_id: UUID,
    source: str,
    *,
    event_id: str,
    event_type: str,
    payload: Any,
    request_id: str = "",
    processed_at: dt.datetime | None = None,
    after_locks: tuple[int, Sequence[int]] | None = None,
) -> bool:
    """Store the event; False when this hotel already has this event id.

    Call inside the transaction that applies the event, so the two commit or vanish together.
    One statement, INSERT ... ON CONFLICT DO NOTHING: a redelivery is told by the event's own
    unique key answering nothing, never by an error, so an integrity error in the event's
    effects can never be taken for a duplicate (and no savepoint is needed to tell them apart).

    `after_locks` = (key, [stripes]): on PostgreSQL, the transaction-level advisory locks
    (key, stripe) the event's effects need are taken in the same statement, before the event
    is stored (the caller then reads what it changes in its next statement, after them)."""
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        raise ValueError(f"event id longer than {MAX_EVENT_ID_LENGTH} characters")
    now = timezone.now()
    values = {
        "tenant_id": tenant_id,
        "source": source,
        "event_id": event_id,
        "event_type": event_type,
        "payload": payload,
        "request_id": request_id,
        "received_at": now,
        "processed_at": processed_at,
    }
    fields = [InboundEvent._meta.get_field(name) for name in values]
    params = [
        f.get_db_prep_save(value, connection)  # type: ignore[union-attr]
        for f, value in zip(fields, values.values(), strict=True)
    ]
    columns = ", ".join(str(f.column) for f in fields)  # type: ignore[union-attr]
    conflict = "ON CONFLICT (tenant_id, source, event_id) DO NOTHING RETURNING id"
    if connection.vendor == "postgresql":
        typed = ", ".join(
            f"CAST(%s AS {f.cast_db_type(connection)})"  # type: ignore[union-attr]
            for f, value in zip(fields, values.values(), strict=True)
        )
        locked = ""
        if after_locks is not None:
            key, stripes = after_locks
            locked = (
                " FROM (SELECT count(pg_advisory_xact_lock(%s, stripe)) FROM "
                "unnest(%s::int[]) AS stripe) AS locked"
            )
            params += [key, list(stripes)]
        # Column names and types come from the model; every value is a parameter.
        sql = f"INSERT INTO inbound_events ({columns}) SELECT {typed}{locked} {conflict}"
    else:
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO inbound_events ({columns}) VALUES ({placeholders}) {conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


class ConcurrentChange(Exception):
    """Another event changed the same records while this one was applied: nothing was kept, and
    the sender's redelivery will apply it on top of the other."""


@contextmanager
def effects_of_an_event() -> Iterator[None]:
    """Around an event's effects, inside its transaction: a unique key that refuses a row means a
    concurrent event inserted it first (ConcurrentChange, answered "send again"); any other
    integrity error is a fault and propagates as one. Neither is ever a duplicate event."""
    try:
        yield
    except IntegrityError as problem:
        if is_unique_violation(problem):
            raise ConcurrentChange(str(problem)) from problem
        raise
