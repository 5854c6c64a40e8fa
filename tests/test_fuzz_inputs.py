"""Hostile input at every door that takes it: the signed PMS push, the signed WAHA webhook, the
manual-send API (JSON and form) and the guest's feedback form.

Each test builds valid requests from the real schemas and then spoils them: NUL characters, lone
surrogates, huge and non-finite numbers, strings longer than their columns, wrong types, missing
and unknown fields, deep nesting. Whatever arrives, the answer is never a 5xx; a refusal (4xx)
leaves every table as it was; and whatever was stored would also have been taken by PostgreSQL
(no NUL, no string longer than its column, numbers within their column), which SQLite does not
check by itself. The `_on_postgres` twins ask the real thing, as the web app's role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection, models
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from automation.models import AutomationJob, InboundEvent
from feedback import services as feedback
from hotel.models import Guest, Reservation, StatusTransition
from messaging.defaults import seed_default_templates
from messaging.models import MessageLog, Trigger
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tests import factories
from tests.conftest import WAHA_TEST_HMAC
from whatsapp.models import WahaConfiguration

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one hotel for all examples: rows are counted
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# The same doors on PostgreSQL, as the web app's role under row-level security: fewer examples
# (each reconnects), but the database's own refusals instead of the SQLite stand-in below.
FUZZ_ON_POSTGRES = settings(FUZZ, max_examples=50)


def on_postgres(test: Callable[..., None]) -> Callable[..., None]:
    return pytest.mark.postgres(pytest.mark.django_db(transaction=True)(test))


def as_the_web_app(request: Callable[[], Any]) -> Any:
    """Make the request connected as the web app's role (PostgreSQL); as is on SQLite."""
    if connection.vendor != "postgresql":
        return request()
    from django.conf import settings as django_settings

    from tests.helpers import django_connected_as

    with django_connected_as(django_settings.DB_APP_ROLE):
        return request()


WATCHED: list[type[models.Model]] = [
    InboundEvent,
    Guest,
    Reservation,
    StatusTransition,
    AutomationJob,
    MessageLog,
    WahaConfiguration,
]

# --- what hostile values look like ----------------------------------------------------------

SPOILED_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud800",  # a lone surrogate: valid JSON (as \\ud800), not text
        "x" * 65,
        "x" * 256,
        "9" * 400,
        "１２３",
        "😀" * 40,
        "{{guestName}}",
        "{{ nope }",
        "%s%n",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\n\r\t",
    ]
)
TEXT = st.one_of(st.text(max_size=30), st.text(min_size=60, max_size=400), SPOILED_TEXT)
NUMBER = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(10**30), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e20, 1e30, 12345678901, 9999999999.999, 0.1 + 0.2]),
)


def words(max_size: int) -> st.SearchStrategy[str]:
    """Text a sender would plausibly send: no control characters (hostile values add those)."""
    return st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=max_size)


SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


DEEP = st.integers(min_value=1, max_value=120).map(nested)
ANYTHING = st.one_of(
    SCALAR, DEEP, st.lists(SCALAR, max_size=4), st.dictionaries(TEXT, SCALAR, max_size=3)
)
# What replaces a valid value: most often a hostile string, since most fields are strings.
HOSTILE = st.one_of(SPOILED_TEXT, TEXT, ANYTHING)


def spoiled(
    valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any] = HOSTILE
) -> st.SearchStrategy[Any]:
    """The valid value, or about one time in eight a hostile one.
    The hostile choice sits mid-list: hypothesis favours the ends of a range."""
    choices = [valid, valid, valid, hostile, valid, valid, valid, valid]
    return st.sampled_from(choices).flatmap(lambda strategy: strategy)


@st.composite
def mutated(draw: st.DrawFn, shape: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """A valid dict of the schema's fields, then up to three mutations: a field dropped, an
    unknown field added, a value replaced by a hostile one (often none: the happy path too)."""
    result = {name: draw(valid) for name, valid in shape.items()}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        name = draw(st.sampled_from(sorted(shape)))
        action = draw(st.sampled_from(["replace", "drop", "replace", "add", "replace"]))
        if action == "drop":
            result.pop(name, None)
        elif action == "add":
            result[draw(TEXT)] = draw(HOSTILE)
        else:
            result[name] = draw(HOSTILE)
    return result


def dumps(body: Any) -> bytes:
    # allow_nan: a sender may well write NaN or Infinity, which JSON does not have.
    return json.dumps(body, allow_nan=True).encode()


# Bodies no JSON encoder would write: signed all the same.
RAW_BODIES = st.sampled_from(
    [
        b"",
        b"{",
        b"null",
        b"\xff\xfe{}",
        b'{"a": NaN}',
        b"[1e999]",
        b'"\\u0000"',
        b"[" * 200_000 + b"]" * 200_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    ]
) | st.binary(max_size=64)


def body_of(value: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return spoiled(value.map(dumps), RAW_BODIES)


# --- what the database holds: counted, and checked against PostgreSQL's rules ----------------


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


_INTEGER_LIMITS = {
    "SmallIntegerField": 2**15 - 1,
    "PositiveSmallIntegerField": 2**15 - 1,
    "IntegerField": 2**31 - 1,
    "PositiveIntegerField": 2**31 - 1,
    "BigIntegerField": 2**63 - 1,
}


def postgres_would_refuse(value: Any, field: models.Field) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return "a NUL character"
        if field.max_length is not None and len(value) > field.max_length:
            return f"{len(value)} characters for {field.max_length}"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a lone surrogate"
    if isinstance(field, models.JSONField):
        try:
            dumped = json.dumps(value, allow_nan=False)
        except ValueError:
            return "a non-finite number in JSON"
        if "\\u0000" in dumped:
            return "a NUL character in JSON"
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        whole_digits = field.max_digits - field.decimal_places
        if abs(value) >= Decimal(10) ** whole_digits:
            return f"{value} overflows NUMERIC({field.max_digits}, {field.decimal_places})"
    limit = _INTEGER_LIMITS.get(field.get_internal_type())
    if isinstance(value, int) and limit is not None and abs(value) > limit:
        return f"{value} overflows {field.get_internal_type()}"
    return None


def assert_postgres_would_store_everything() -> None:
    for model in WATCHED:
        fields = [f for f in model._meta.concrete_fields if not f.is_relation]
        for row in model.objects.values_list("pk", *(f.attname for f in fields)):
            for field, value in zip(fields, row[1:], strict=True):
                problem = postgres_would_refuse(value, field)
                assert problem is None, f"{model.__name__}.{field.name}: {problem}"


def assert_refusals_change_nothing(
    before: dict[str, int], response: Any, *, unchanged: bool = False
) -> None:
    assert response.status_code < 500, response.content[:500]
    event(f"answered {response.status_code} {_reason(response)}")
    if unchanged or 400 <= response.status_code < 500:
        assert row_counts() == before, response.content[:500]
    assert_postgres_would_store_everything()


def _reason(response: Any) -> str:
    """The first words of a JSON answer, for --hypothesis-show-statistics."""
    try:
        answer = response.json()
    except ValueError:
        return ""
    return str(answer.get("error") or answer.get("status") or "")[:90]


# --- the signed PMS push ---------------------------------------------------------------------

DATES = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)).map(str)
PMS_GUEST = {
    "id": st.sampled_from(["G-1", "G-2", "G-3"]),
    "first_name": words(20),
    "last_name": words(20),
    "email": st.emails().filter(lambda e: len(e) < 200),
    "phone": st.sampled_from(["+6281234560001", "081234560002", "not a phone", ""]),
    "country": st.sampled_from(["ID", "SG", "id", ""]),
    "language": st.sampled_from(["id", "en", "ja", ""]),
}
PMS_RESERVATION = {
    "id": st.sampled_from(["R-1", "R-2", "R-3"]),
    "status": st.sampled_from(["pre-arrival", "on-stay", "checked-out", "cancelled", "no-show"]),
    "pms_status": words(20),
    "check_in": st.just("2026-12-01"),
    "check_out": st.sampled_from(["2026-12-01", "2026-12-04"]),
    "booking_code": words(10),
    "room_number": words(5),
    "room_type": words(20),
    "adults": st.integers(0, 5),
    "children": st.integers(0, 5),
    "amount": st.one_of(
        st.none(), st.decimals(0, 10**9, places=2, allow_nan=False).map(str), st.integers(0, 10**6)
    ),
    "currency": st.sampled_from(["IDR", "SGD", ""]),
    "source": words(20),
}


@st.composite
def pms_events(draw: st.DrawFn) -> Any:
    reservation = draw(mutated(PMS_RESERVATION))
    reservation["guest"] = draw(spoiled(mutated(PMS_GUEST)))
    event = {"type": draw(spoiled(st.just("reservation.upserted"))), "reservation": reservation}
    return draw(spoiled(st.just(event)))


# Header values are text, and never a lone surrogate (HTTP could not carry it).
WEBHOOK_IDS = spoiled(
    st.builds(lambda: f"msg_{uuid.uuid4().hex}") | st.just("msg_repeat"),
    st.sampled_from(["x" * 255, "x" * 256, "a\nb", "tab\there", "é", ""])
    | HOSTILE.map(str).filter(lambda v: _encodable(v)),
)
PMS_TIMESTAMPS = spoiled(
    st.builds(lambda: str(int(time.time()))),
    st.sampled_from(["9" * 400, "-1", "1_700_000_000", " 1700000000", "1e9", "0", ""]),
)


@pytest.fixture
def pms_secret(hotel_a: factories.Hotel) -> str:
    return pms_webhook.rotate_secret(
        PMSConfiguration.objects.create(tenant=hotel_a.tenant, provider="demo")
    )


def post_pms_event(
    hotel: factories.Hotel, secret: str, body: bytes, webhook_id: str, stamp: str
) -> None:
    before = row_counts()
    response = as_the_web_app(
        lambda: Client().post(
            f"/api/webhooks/pms/{hotel.tenant.public_id}/",
            body,
            content_type="application/json",
            HTTP_WEBHOOK_ID=webhook_id,
            HTTP_WEBHOOK_TIMESTAMP=stamp,
            HTTP_WEBHOOK_SIGNATURE=pms_webhook.sign(secret, webhook_id, stamp, body),
        )
    )
    duplicate = response.status_code == 200 and response.json().get("status") == "duplicate"
    assert_refusals_change_nothing(before, response, unchanged=duplicate)


PMS_INPUTS = {"body": body_of(pms_events()), "webhook_id": WEBHOOK_IDS, "stamp": PMS_TIMESTAMPS}


@FUZZ
@given(**PMS_INPUTS)
def test_the_pms_webhook_survives_hostile_events(
    hotel_a: factories.Hotel, pms_secret: str, body: bytes, webhook_id: str, stamp: str
) -> None:
    post_pms_event(hotel_a, pms_secret, body, webhook_id, stamp)


@on_postgres
@FUZZ_ON_POSTGRES
@given(**PMS_INPUTS)
def test_the_pms_webhook_survives_hostile_events_on_postgres(
    hotel_a: factories.Hotel, pms_secret: str, body: bytes, webhook_id: str, stamp: str
) -> None:
    post_pms_event(hotel_a, pms_secret, body, webhook_id, stamp)


# --- the signed WAHA webhook -----------------------------------------------------------------

CHAT_IDS = st.one_of(
    st.sampled_from(
        ["6281234567890@c.us", "6281234560001@s.whatsapp.net", "12036@g.us", "status@broadcast"]
    ),
    st.integers(0, 10**20).map(lambda n: f"{n}@c.us"),
    TEXT,
)
NOW_MS = st.builds(lambda: int(time.time() * 1000))
MESSAGE = {
    "id": st.builds(lambda: f"false_6281234567890@c.us_{secrets.token_hex(8)}"),
    "timestamp": st.builds(lambda: int(time.time())),
    "from": CHAT_IDS,
    "fromMe": st.booleans(),
    "to": st.just("6281100001111@c.us"),
    "body": words(60),
    "hasMedia": st.booleans(),
}
ACK = {
    "id": st.sampled_from(["true_6281234567890@c.us_AAA", "unknown"]),
    "ack": st.integers(-1, 4),
    "ackName": st.sampled_from(["SERVER", "DEVICE", "READ"]),
}
STATUS_POINT = {"status": st.sampled_from(["WORKING", "FAILED"]), "timestamp": NOW_MS}
SESSION_STATUS = {
    "name": st.just("default"),
    "status": st.sampled_from(["WORKING", "FAILED", "SCAN_QR_CODE", "STOPPED", "NEW_STATE"]),
    "statuses": st.lists(mutated(STATUS_POINT), max_size=3),
}
ME = {"id": st.sampled_from(["6281100001111@c.us", ""]), "pushName": words(20)}
PAYLOADS = {"message": MESSAGE, "message.ack": ACK, "session.status": SESSION_STATUS}


@st.composite
def waha_envelopes(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from([*PAYLOADS, "presence.update"]))
    payload_shape = PAYLOADS.get(kind, {"id": words(10)})
    envelope: dict[str, Any] = {
        "event": draw(spoiled(st.just(kind))),
        "session": draw(spoiled(st.just("default"))),
        "payload": draw(spoiled(mutated(payload_shape))),
        "engine": "NOWEB",
    }
    if draw(st.booleans()):  # WAHA 2025+; older servers send neither
        envelope["id"] = draw(
            spoiled(st.builds(lambda: "evt_" + secrets.token_hex(13))) | st.just("evt_repeat")
        )
        envelope["timestamp"] = draw(spoiled(NOW_MS))
    if draw(st.integers(0, 3)) == 0:
        envelope["me"] = draw(spoiled(mutated(ME)))
    return draw(spoiled(st.just(envelope)))


WAHA_TIMESTAMPS = spoiled(
    st.none() | st.builds(lambda: str(int(time.time() * 1000))),
    st.sampled_from(["9" * 400, "abc", "-5", "1_000", ""]),
)


@pytest.fixture
def waha_hotel(hotel_a: factories.Hotel, settings: Any) -> factories.Hotel:
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    settings.WAHA_BASE_URL = None  # an @lid sender is looked up in WAHA: here the sandbox answers
    WahaConfiguration.objects.create(tenant=hotel_a.tenant, session_name="default")
    return hotel_a


def post_waha_event(body: bytes, header_stamp: str | None) -> None:
    headers = {
        "HTTP_X_WEBHOOK_HMAC": hmac.new(WAHA_TEST_HMAC.encode(), body, hashlib.sha512).hexdigest()
    }
    if header_stamp is not None:
        headers["HTTP_X_WEBHOOK_TIMESTAMP"] = header_stamp
    before = row_counts()
    response = as_the_web_app(
        lambda: Client().post(
            "/api/webhooks/waha/", body, content_type="application/json", **headers
        )
    )
    settled = response.status_code == 200 and response.json().get("status") in (
        "duplicate",
        "ignored: unknown session",
    )
    assert_refusals_change_nothing(before, response, unchanged=settled)


WAHA_INPUTS = {"body": body_of(waha_envelopes()), "header_stamp": WAHA_TIMESTAMPS}


@FUZZ
@given(**WAHA_INPUTS)
def test_the_waha_webhook_survives_hostile_events(
    waha_hotel: factories.Hotel, body: bytes, header_stamp: str | None
) -> None:
    post_waha_event(body, header_stamp)


@on_postgres
@FUZZ_ON_POSTGRES
@given(**WAHA_INPUTS)
def test_the_waha_webhook_survives_hostile_events_on_postgres(
    waha_hotel: factories.Hotel, body: bytes, header_stamp: str | None
) -> None:
    post_waha_event(body, header_stamp)


# --- the manual-send API ---------------------------------------------------------------------


@pytest.fixture
def sender(hotel_a: factories.Hotel, settings: Any) -> tuple[Client, factories.Hotel]:
    settings.WAHA_BASE_URL = None
    seed_default_templates(hotel_a.tenant)
    client = Client()
    client.force_login(hotel_a.staff)
    return client, hotel_a


def send_fields(hotel: factories.Hotel) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "reservation": st.sampled_from([str(hotel.reservation.public_id), "", "nope"]),
        "guest": st.sampled_from([str(hotel.guest.public_id), str(uuid.uuid4())]),
        "trigger": st.sampled_from(["", *Trigger.values, ""]),  # "": staff's own words
        "text": words(80) | st.sampled_from(["Hi {{guestName}}", "{{ x }}", "{{"]) | SPOILED_TEXT,
        "next": st.sampled_from(["/messages/", "https://evil.example/"]),
    }


def form_value(value: Any) -> Any:
    """What a form can carry: strings, or a list of them (a repeated field)."""
    if isinstance(value, list):
        return [form_value(item) for item in value if not isinstance(item, list | dict)]
    return "" if value is None else str(value)


def send_json(client: Client, hotel: factories.Hotel, data: st.DataObject) -> None:
    body = data.draw(body_of(mutated(send_fields(hotel))))
    before = row_counts()
    response = as_the_web_app(
        lambda: client.post("/api/messages/send/", body, content_type="application/json")
    )
    assert response.status_code in (202, 400, 404), response.content[:500]
    assert_refusals_change_nothing(before, response)


def send_form(client: Client, hotel: factories.Hotel, data: st.DataObject) -> None:
    fields = data.draw(mutated(send_fields(hotel)))
    form = {
        name: form_value(value)
        for name, value in fields.items()
        if _encodable(name) and _encodable(form_value(value))
    }
    before = row_counts()
    response = as_the_web_app(
        lambda: client.post("/api/messages/send/", form, HTTP_ACCEPT="application/json")
    )
    assert response.status_code in (202, 400, 404), response.content[:500]
    assert_refusals_change_nothing(before, response)


@FUZZ
@given(data=st.data())
def test_the_send_api_survives_hostile_json(
    sender: tuple[Client, factories.Hotel], data: st.DataObject
) -> None:
    send_json(*sender, data)


@FUZZ
@given(data=st.data())
def test_the_send_api_survives_hostile_forms(
    sender: tuple[Client, factories.Hotel], data: st.DataObject
) -> None:
    send_form(*sender, data)


@on_postgres
@FUZZ_ON_POSTGRES
@given(data=st.data())
def test_the_send_api_survives_hostile_json_on_postgres(
    sender: tuple[Client, factories.Hotel], data: st.DataObject
) -> None:
    send_json(*sender, data)


@on_postgres
@FUZZ_ON_POSTGRES
@given(data=st.data())
def test_the_send_api_survives_hostile_forms_on_postgres(
    sender: tuple[Client, factories.Hotel], data: st.DataObject
) -> None:
    send_form(*sender, data)


def _encodable(value: Any) -> bool:
    """A browser cannot send a lone surrogate: the test client could not even encode it."""
    items = value if isinstance(value, list) else [value]
    try:
        for item in items:
            str(item).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- the guest's feedback form ---------------------------------------------------------------


@pytest.fixture
def feedback_link(hotel_a: factories.Hotel) -> tuple[str, Reservation]:
    reservation = hotel_a.reservation
    return urlsplit(feedback.issue_link(reservation)).path, reservation


FEEDBACK = {
    "rating": st.sampled_from(["1", "2", "3", "4", "5", "0", "6", "-1", "3.5", "５"]),
    "comments": words(100),
}


def answer_feedback(feedback_link: tuple[str, Reservation], data: st.DataObject) -> None:
    link, reservation = feedback_link
    path = link
    if data.draw(st.integers(0, 9)) == 0:
        path = "/feedback/" + quote(data.draw(TEXT).encode("utf-8", "replace"), safe="") + "/"
    fields = data.draw(mutated(FEEDBACK))
    form = {
        name: form_value(value)
        for name, value in fields.items()
        if _encodable(name) and _encodable(form_value(value))
    }
    answer_before = _feedback_of(reservation)
    before = row_counts()
    response = as_the_web_app(lambda: Client().post(path, form))

    assert response.status_code < 500, response.content[:500]
    event(f"answered {response.status_code}")
    assert row_counts() == before  # an answer changes its reservation and adds nothing
    assert_postgres_would_store_everything()
    acceptable = _posted(form, "rating") in {"1", "2", "3", "4", "5"} and _acceptable_comment(
        _posted(form, "comments")
    )
    if path == link and acceptable:
        assert _feedback_of(reservation)[0] == int(_posted(form, "rating"))
    else:
        assert _feedback_of(reservation) == answer_before


@FUZZ
@given(data=st.data())
def test_the_feedback_form_survives_hostile_answers(
    feedback_link: tuple[str, Reservation], data: st.DataObject
) -> None:
    answer_feedback(feedback_link, data)


@on_postgres
@FUZZ_ON_POSTGRES
@given(data=st.data())
def test_the_feedback_form_survives_hostile_answers_on_postgres(
    feedback_link: tuple[str, Reservation], data: st.DataObject
) -> None:
    answer_feedback(feedback_link, data)


def _posted(form: dict[str, Any], name: str) -> str:
    """What the view reads: the last of a repeated field."""
    value = form.get(name, "")
    if isinstance(value, list):
        return value[-1] if value else ""
    return value


def _acceptable_comment(value: Any) -> bool:
    return isinstance(value, str) and "\x00" not in value and len(value.strip()) <= 4000


def _feedback_of(reservation: Reservation) -> tuple[Any, ...]:
    return tuple(
        Reservation.objects.filter(pk=reservation.pk).values_list(
            "feedback_rating", "feedback_comments", "feedback_status"
        )[0]
    )
