"""Inbound events stored once: the row that tells a redelivery from a new event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

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
) -> bool:
    """Store the event in its own savepoint; False when this hotel already has this event id.

    Call inside the transaction that applies the event, so the two commit or vanish together.
    The savepoint confines the "seen before" meaning to this insert: an integrity error in the
    event's effects is a different failure and must never be taken for a duplicate."""
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        raise ValueError(f"event id longer than {MAX_EVENT_ID_LENGTH} characters")
    try:
        with transaction.atomic():
            InboundEvent.objects.create(
                tenant_id=tenant_id,
                source=source,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                request_id=request_id,
                processed_at=processed_at,
            )
    except IntegrityError as problem:
        if is_unique_violation(problem):
            return False
        raise
    return True


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
