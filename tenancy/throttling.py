"""Login throttling (django-axes): failures counted per (account, client address) and per account.

Behind a reverse proxy many users share one address, so an address alone never locks anyone out;
an account alone locks at a higher limit, so guessing one account's password from many addresses
still stops. Both limits are settings (LOGIN_FAILURE_LIMIT_PER_ADDRESS = AXES_FAILURE_LIMIT and
LOGIN_FAILURE_LIMIT_PER_ACCOUNT); the counts expire after AXES_COOLOFF_TIME.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest


def username_for_throttling(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Count failures per account whatever the capitalisation the guesser types."""
    source = credentials or request.POST
    return str(source.get("username", "")).strip().lower()


class LoginThrottle(AxesDatabaseHandler):
    """Expects AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        from_this_address, from_anywhere = (
            _failures(attempts) for attempts in self.get_user_attempts(request, credentials)
        )
        if from_anywhere >= settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT:
            # Axes compares one number with AXES_FAILURE_LIMIT: report the account's lock in it.
            return max(from_this_address, settings.AXES_FAILURE_LIMIT)
        return from_this_address

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """A successful login clears the failures from its own address only: logging in from the
        office must not wipe the count of someone guessing the same account from elsewhere."""
        from_this_address = self.filter_user_attempts(request, credentials)[0]
        deleted, _ = from_this_address.delete()
        return int(deleted)


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)
