"""Login throttling as the web app runs it on PostgreSQL: connected as the app role, behind a
proxy that reports the client's address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.helpers import django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROXY = "10.0.0.2"


def attempt(email: str, password: str, client_address: str) -> int:
    response = Client().post(
        "/login/",
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )
    return response.status_code


def test_one_guessers_failures_lock_only_that_account_from_that_client(settings) -> None:
    hotel = factories.make_hotel("Hotel Alpha")
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    owner, staff = hotel.owner.email, hotel.staff.email
    with django_connected_as(settings.DB_APP_ROLE):
        for _ in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
            attempt(owner, "wrong-password", "198.51.100.1")

        assert attempt(owner, factories.PASSWORD, "198.51.100.1") == 429
        assert attempt(staff, factories.PASSWORD, "198.51.100.1") == 302
        assert attempt(owner, factories.PASSWORD, "198.51.100.2") == 302
        assert attempt(owner, factories.PASSWORD, "198.51.100.1") == 429, "still locked there"
