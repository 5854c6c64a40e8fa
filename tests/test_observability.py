"""Logs a person can follow: one request_id per request, on every line and in the response."""

from __future__ import annotations

import logging

import pytest
from django.db.utils import OperationalError
from django.test import Client

from innbox.logs import get_logger


def test_it_returns_a_request_id_and_logs_it_on_every_line(
    db: None, client: Client, parsed_logs
) -> None:
    response = client.post("/login/", {"username": "nobody@example.com", "password": "wrong-pass"})

    request_id = response["X-Request-ID"]
    lines = parsed_logs()
    events = [line["event"] for line in lines]
    assert "login_failed" in events and "request_finished" in events
    assert len(request_id) >= 8
    assert {line.get("request_id") for line in lines} == {request_id}


def test_it_keeps_the_callers_request_id(db: None, client: Client, parsed_logs) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="pms-retry-7f3a9c21")

    assert response["X-Request-ID"] == "pms-retry-7f3a9c21"
    assert parsed_logs()[-1]["request_id"] == "pms-retry-7f3a9c21"


def test_it_replaces_a_request_id_that_would_pollute_the_logs(db: None, client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"forged": true}')

    assert response["X-Request-ID"] != 'x"\n{"forged": true}'
    assert response["X-Request-ID"].isalnum()


def test_two_requests_get_two_request_ids(db: None, client: Client) -> None:
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_it_gives_every_error_log_a_category(parsed_logs) -> None:
    log = get_logger("innbox.test")
    log.error("vendor_exploded")
    log.error("webhook_refused", error_category="validation")
    logging.getLogger("django.request").error("a plain stdlib error")

    categories = {line["event"]: line.get("error_category") for line in parsed_logs()}
    assert categories == {
        "vendor_exploded": "fatal",
        "webhook_refused": "validation",
        "a plain stdlib error": "fatal",
    }


def test_it_binds_tenant_context_to_the_requests_logs(
    client: Client, owner_a, hotel_a, parsed_logs
) -> None:
    client.force_login(owner_a)
    client.get("/")

    finished = [line for line in parsed_logs() if line["event"] == "request_finished"][-1]
    assert finished["tenant_id"] == str(hotel_a.tenant.id)


def test_it_does_not_carry_one_requests_tenant_into_the_next(
    client: Client, owner_a, parsed_logs
) -> None:
    client.force_login(owner_a)
    client.get("/")
    client.logout()
    client.get("/healthz")

    assert "tenant_id" not in parsed_logs()[-1]


def test_healthz_reports_a_reachable_database(db: None, client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


class UnreachableDatabase:
    vendor = "sqlite"

    def cursor(self) -> None:
        raise OperationalError("connection refused")


def test_healthz_reports_an_unreachable_database(
    db: None, client: Client, monkeypatch: pytest.MonkeyPatch, parsed_logs
) -> None:
    monkeypatch.setattr("innbox.views.connection", UnreachableDatabase())
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    error_lines = [line for line in parsed_logs() if line["level"] == "error"]
    assert error_lines and all(
        line["request_id"] == response["X-Request-ID"] for line in error_lines
    )
