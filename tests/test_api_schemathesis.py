"""Schemathesis against the app, from its own OpenAPI document (/api/openapi.json), in process
through WSGI: every operation, with data the document allows (positive) and data it forbids
(negative), 30 examples each, derandomized so a run is repeatable.

A person of the hotel is logged in (an owner, with the CSRF token a browser would send); the cron
endpoint gets its bearer secret; the two webhooks are signed the way the PMS and WAHA sign
theirs (a WSGI layer plays the honest sender), so generated bodies reach the parsers and not
only the signature check. Per request: no 5xx, status codes, content types, headers and JSON
bodies as documented, a request the document forbids is refused, and a refusal (any 4xx)
leaves every table as it was. The `_on_postgres` twin asks the same of the app's role under
row-level security, with fewer examples. docs/api.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from automation.models import AutomationJob, InboundEvent
from hotel.models import Guest, Reservation, StatusTransition
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration, SyncRun
from tests import factories
from tests.helpers import worker_seen
from whatsapp.models import WahaConfiguration

pytestmark = pytest.mark.django_db

WAHA_KEY = "schemathesis-waha-hmac-key-0123456789"
CRON = "schemathesis-cron-secret-0123456789"
WATCHED = [
    InboundEvent,
    Guest,
    Reservation,
    StatusTransition,
    AutomationJob,
    MessageLog,
    WahaConfiguration,
    PMSConfiguration,
    SyncRun,
]
# What refuses a request the document forbids: schemathesis' own list, and the login page (a
# negative case without the session cookie or the CSRF header is a person not logged in).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [*REFUSALS, "302"]}}}
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def operations(mode: GenerationMode) -> list[str]:
    """Every operation of the document, as "METHOD /path"; for negative data, those that take
    some input to spoil."""
    from innbox import openapi

    return [
        f"{method.upper()} {path}"
        for path, item in openapi.document()["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
        and (mode.is_positive or operation.get("parameters") or operation.get("requestBody"))
    ]


@contextmanager
def connections_kept() -> Iterator[None]:
    """As Django's test client does: a request's end must not close the test's connection
    (its transaction holds the test's data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# --- the honest senders: the PMS and WAHA sign what they send ---------------------------------

PMS_SIGNATURE = re.compile(r"v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*")
SECONDS = re.compile(r"[0-9]{1,12}")
HEX_512 = re.compile(r"[0-9a-fA-F]{128}")
MILLISECONDS = re.compile(r"[0-9]{1,15}")


@dataclass
class HonestSenders:
    """A WSGI layer in front of Innbox that signs the webhooks, as their senders do, whenever
    the generated request has the signature headers in the form the document gives them (and
    stamps them now). A request whose headers the document forbids goes through as it is: it
    must be refused."""

    app: Callable[..., Any]
    pms_secret: str

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "POST" and path.startswith("/api/webhooks/"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            if path.startswith("/api/webhooks/pms/"):
                self._sign_push(environ, body)
            else:
                self._sign_waha_event(environ, body)
        return self.app(environ, start_response)

    def _sign_push(self, environ: dict[str, Any], body: bytes) -> None:
        webhook_id = environ.get("HTTP_WEBHOOK_ID")
        stamp = environ.get("HTTP_WEBHOOK_TIMESTAMP", "")
        signature = environ.get("HTTP_WEBHOOK_SIGNATURE", "")
        if webhook_id is None or not SECONDS.fullmatch(stamp):
            return
        if not PMS_SIGNATURE.fullmatch(signature):
            return
        stamp = environ["HTTP_WEBHOOK_TIMESTAMP"] = str(int(time.time()))
        environ["HTTP_WEBHOOK_SIGNATURE"] = pms_webhook.sign(
            self.pms_secret, webhook_id, stamp, body
        )

    def _sign_waha_event(self, environ: dict[str, Any], body: bytes) -> None:
        if not HEX_512.fullmatch(environ.get("HTTP_X_WEBHOOK_HMAC", "")):
            return
        environ["HTTP_X_WEBHOOK_HMAC"] = hmac.new(
            WAHA_KEY.encode(), body, hashlib.sha512
        ).hexdigest()
        if MILLISECONDS.fullmatch(environ.get("HTTP_X_WEBHOOK_TIMESTAMP", "")):
            environ["HTTP_X_WEBHOOK_TIMESTAMP"] = str(int(time.time() * 1000))


# --- the hotel, its person, and what a refusal must leave alone -------------------------------


@dataclass
class Api:
    schema: Any
    hotel: factories.Hotel


@pytest.fixture
def api(settings: Any) -> Iterator[Api]:
    settings.WAHA_BASE_URL = None  # the sandbox: nothing leaves this process
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_KEY
    settings.CRON_SECRET = CRON
    hotel = factories.make_hotel("Hotel Skema")
    seed_default_templates(hotel.tenant)
    secret = pms_webhook.rotate_secret(
        PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo", is_active=False)
    )
    WahaConfiguration.objects.create(tenant=hotel.tenant, session_name="default")
    worker_seen()  # /readyz: a worker runs
    owner = Client()
    owner.force_login(hotel.owner)
    browser = RequestFactory().get("/")
    token = get_token(browser)  # the X-CSRFToken header; its secret is the csrftoken cookie
    cookies = {
        django_settings.SESSION_COOKIE_NAME: owner.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        django_settings.CSRF_COOKIE_NAME: browser.META["CSRF_COOKIE"],
    }
    headers = {"X-CSRFToken": token, "Authorization": f"Bearer {CRON}"}

    class TheOwner:
        """Schemathesis' auth: every case carries the owner's credentials, except one whose
        credentials it left out on purpose (a negative case: it must be refused)."""

        def get(self, case: Any, context: Any) -> bool:
            return True

        def set(self, case: Any, data: Any, context: Any) -> None:
            case.cookies = {**(case.cookies or {}), **cookies}
            case.headers = {**(case.headers or {}), **headers}

    app = HonestSenders(WSGIHandler(), secret)
    with connections_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)
        schema.auth(refresh_interval=None)(TheOwner)
        yield Api(schema=schema, hotel=hotel)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


def as_the_web_app(request: Callable[[], Any]) -> Any:
    """On PostgreSQL, connected as the web app's role (row-level security on)."""
    if connection.vendor != "postgresql":
        return request()
    from tests.helpers import django_connected_as

    with django_connected_as(django_settings.DB_APP_ROLE):
        return request()


def aimed_at(hotel: factories.Hotel, case: Any) -> Any:
    if isinstance(case.body, dict):
        if case.body.get("reservation"):
            case.body = {**case.body, "reservation": str(hotel.reservation.public_id)}
        else:
            case.body = {**case.body, "guest": str(hotel.guest.public_id)}
    return case


def for_the_hotels_session(case: Any) -> Any:
    if isinstance(case.body, dict):
        case.body = {**case.body, "session": "default"}
        if "timestamp" in case.body:
            case.body["timestamp"] = int(time.time() * 1000)
    return case


# The send dialog's preview is an HTMX partial: it answers 200 to anything and shows the refusal
# in place of the preview (HTMX swaps only a 2xx), as its documented 200 says.
REFUSES_IN_ITS_HTML = {"POST /api/messages/preview/"}


def run(api: Api, label: str, mode: GenerationMode, examples: int) -> None:
    method, path = label.split(" ", 1)
    checks = [
        check
        for check in CHECKS
        if not (check is negative_data_rejection and label in REFUSES_IN_ITS_HTML)
    ]
    operation = api.schema[path][method]
    fixed = {"public_id": str(api.hotel.tenant.public_id)} if "{public_id}" in path else None

    cases = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
    if mode.is_positive and path.startswith("/api/messages/"):
        # Half of them at the hotel's own guest and stay (random ids are only ever a 404).
        cases = st.one_of(cases, cases.map(lambda case: aimed_at(api.hotel, case)))
    if mode.is_positive and path == "/api/webhooks/waha/":
        # Half of them for the hotel's session, and fresh: past the routing, into the handlers.
        cases = st.one_of(cases, cases.map(for_the_hotels_session))

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def each(case: Any) -> None:
        before = row_counts()
        response = as_the_web_app(case.call)
        case.validate_response(response, checks=checks)
        if 400 <= response.status_code < 500:
            assert row_counts() == before, f"{label} answered {response.status_code}"

    each()


CASES = [
    pytest.param(mode, label, id=f"{mode.value} {label}")
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    for label in operations(mode)
]


@pytest.mark.parametrize(("mode", "label"), CASES)
def test_every_operation_answers_as_documented(api: Api, mode: GenerationMode, label: str) -> None:
    run(api, label, mode, examples=30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("mode", "label"), CASES)
def test_every_operation_answers_as_documented_on_postgres(
    api: Api, mode: GenerationMode, label: str
) -> None:
    run(api, label, mode, examples=10)


def test_the_honest_sender_signs_as_the_pms_does() -> None:
    """The signing layer's PMS signature is the one pms.webhook verifies."""
    secret = pms_webhook.new_secret()
    body = b'{"type": "reservation.upserted"}'
    key = base64.b64decode(secret.removeprefix(pms_webhook.SECRET_PREFIX))
    environ = {
        "HTTP_WEBHOOK_ID": "msg_1",
        "HTTP_WEBHOOK_TIMESTAMP": "1",
        "HTTP_WEBHOOK_SIGNATURE": "v1,x",
    }
    HonestSenders(lambda *a: None, secret)._sign_push(environ, body)
    content = f"msg_1.{environ['HTTP_WEBHOOK_TIMESTAMP']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    assert environ["HTTP_WEBHOOK_SIGNATURE"] == f"v1,{expected}"


def test_the_preview_of_a_message_to_a_guest_is_the_text_they_would_read(
    hotel_a: factories.Hotel,
) -> None:
    """What the run above found: the preview passed compose() an author it does not take, and
    every preview for a real guest was a 500."""
    staff = Client()
    staff.force_login(hotel_a.staff)
    answer = staff.post(
        "/api/messages/preview/",
        {"guest": str(hotel_a.guest.public_id), "text": "Hi {{guestName}}"},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert f"Hi {hotel_a.guest.full_name}" in answer.content.decode()
