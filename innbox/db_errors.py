"""What kind of database error this is, on either database."""

from __future__ import annotations

from django.db import IntegrityError

_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def is_unique_violation(problem: IntegrityError) -> bool:
    """A unique key refused a row: someone else inserted it first. Not a broken check or
    foreign key, which no retry would mend."""
    cause = problem.__cause__
    if getattr(cause, "sqlstate", None) == _UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(problem)  # SQLite says it in words
