"""The guests and reservations searches on SQLite (hotel/search.py's ORM path): the same rows as
the PostgreSQL functions find (tests/test_search_postgres.py checks the same table there)."""

from __future__ import annotations

import pytest

from tests import factories, search_cases

pytestmark = pytest.mark.django_db


def test_every_query_finds_what_postgresql_finds() -> None:
    a, b = factories.make_hotel("Search Alpha"), factories.make_hotel("Search Bravo")
    search_cases.fill(a)
    search_cases.fill(b)
    found = {query: search_cases.found(a, query) for query in search_cases.QUERIES}
    assert found == search_cases.EXPECTED
