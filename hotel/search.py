"""Search of a hotel's guests and reservations: what the desk types, to the rows it means.

Two functions, one per list, each taking the tenant's queryset and giving it back filtered:

    matching_guests(guests, "ana 0812 3456").rows      # with .count when already known
    matching_reservations(reservations, guests, "BK004242")

On PostgreSQL each asks a SECURITY DEFINER function (hotel/migrations/0018) for the matching ids
(one statement), then filters the queryset to them.
Under row-level security the planner may not use `upper()`/`LIKE` (not leakproof) as index
conditions for the app role, so a search read every row of the hotel (issue 19: 320-454 ms at
100,000 reservations). The functions run as the tables' owner, outside RLS, where the trigram
and expression indexes apply; they filter by the tenant of the session's RLS context
(`app_current_tenant()`, the setting the policies read), never by a tenant the caller passes,
and with no tenant set they answer nothing. The outer query still runs under RLS.

On SQLite (no RLS, no functions) the same matches are ORM filters. Both paths give the same
rows (tests/test_search_postgres.py); the one difference: past SEARCH_LIMIT matches PostgreSQL
answers SEARCH_LIMIT of them (the list says "10,000+"), not every one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import BooleanField, Model, Q, QuerySet
from django.db.models.expressions import RawSQL

from hotel.models import Guest, Reservation

M = TypeVar("M", bound=Model)

# More words than anyone types; a pasted sentence is not a search.
MAX_SEARCH_WORDS = 5
# One more than the lists count (dashboard.paging.COUNT_CAP): enough for "10,000+".
SEARCH_LIMIT = 10_001
# Fewer digits than this match too many numbers to be a phone search.
MIN_PHONE_DIGITS = 4


def search_words(query: str) -> list[str]:
    """Every word must match ("Ana Wijaya", "Ana 101"); at most MAX_SEARCH_WORDS count."""
    return query.split()[:MAX_SEARCH_WORDS]


def phone_digits(query: str) -> str:
    """The digits of a phone as stored after "+" in E.164, or "" when the query is not one.

    Phones are stored as E.164 (+6281234567890); the desk types "0812 3456 7890" or "+62 812...".
    Leading zeros are a trunk or exit prefix, never part of the stored digits that follow "+"."""
    digits = re.sub(r"\D", "", query).lstrip("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def normalised_code(text: str) -> str:
    """A booking code as stored in `booking_code_normalised`: upper-cased, without the spaces
    around it (keep in step with the column's expression in hotel.models)."""
    return text.strip().upper()


def _uses_search_functions() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Matches(Generic[M]):
    rows: QuerySet[M]
    # How many rows match, when the search already knows (PostgreSQL: the ids it read, at most
    # SEARCH_LIMIT), so the list need not count them again; None: count `rows`.
    count: int | None


def matching_guests(guests: QuerySet[Guest], query: str) -> Matches[Guest]:
    """Guests with every word in their first or last name, or the query in their email, or its
    digits in their phone."""
    words, digits = search_words(query), phone_digits(query)
    if not words:
        return Matches(guests, None)
    if _uses_search_functions():
        ids = _ids(
            "SELECT app_search_guests(%s::text[], %s, %s, %s)",
            [words, query, digits, SEARCH_LIMIT],
        )
        return Matches(_with_ids(guests, ids), len(ids))
    return Matches(guests.filter(_guest_match(words, query, digits)), None)


def matching_reservations(
    reservations: QuerySet[Reservation], guests: QuerySet[Guest], query: str
) -> QuerySet[Reservation]:
    """Reservations where every word is in the guest's name, or is the booking code, the PMS's
    reservation id or the room, exactly (any case). `guests` is the same hotel's guests (the
    SQLite path matches names there)."""
    words = search_words(query)
    if not words:
        return reservations
    if _uses_search_functions():
        ids = _ids("SELECT app_search_reservations(%s::text[], %s)", [words, SEARCH_LIMIT])
        return _with_ids(reservations, ids)
    for word in words:
        reservations = reservations.filter(_reservation_match(guests, word))
    return reservations


def _ids(sql: str, params: list[Any]) -> list[int]:
    """The matching ids, asked once: the page and its count both use them (a search matching
    10,000 guests would otherwise run the function twice, 2 x 20 ms at 100,000)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _with_ids(rows: QuerySet[M], ids: list[int]) -> QuerySet[M]:
    """`id = ANY(array)`: one parameter however many ids, and a leakproof comparison, so under
    RLS the primary key's index finds them."""
    column = f'"{rows.model._meta.db_table}"."id"'  # the model's own table name, no input
    among = RawSQL(f"{column} = ANY(%s::bigint[])", [ids], output_field=BooleanField())  # noqa: S611
    return rows.filter(among)


def _guest_match(words: list[str], query: str, digits: str) -> Q:
    by_name = Q()
    for word in words:
        by_name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    match = by_name | Q(email__icontains=query)
    if digits:
        match |= Q(phone_e164__contains=digits)
    return match


def _reservation_match(guests: QuerySet[Guest], word: str) -> Q:
    # The names are matched in guests (one pass over the hotel's guests, then a set lookup per
    # reservation) rather than through a join per reservation row.
    named = guests.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return (
        Q(guest__in=named.values("pk"))
        | Q(booking_code_normalised=normalised_code(word))
        | Q(pms_reservation_id__iexact=word)
        | Q(room_number__iexact=word)
    )
