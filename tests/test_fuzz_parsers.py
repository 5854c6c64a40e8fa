"""Property tests of the pure functions that take outside input: the renderer, the phone
normaliser, the two webhook signature verifiers and the two webhook body parsers.

Each one raises nothing but its documented refusal, whatever it is given; where a round trip
exists (a number normalised twice, a signature made and checked, an event parsed, dumped and
parsed again) it holds. tests/test_fuzz_inputs.py sends hostile requests through the whole stack;
these reach corners a request rarely gets to (any template, any region, any header) in
thousands of cheap examples.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import string
import time
from typing import Any

import phonenumbers
import pytest
from django.test import RequestFactory
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from innbox import json_input
from innbox.phones import InvalidPhoneNumber, chat_id_for, e164_from_chat_id, to_e164
from innbox.webhooks import Refusal
from messaging import renderer
from messaging.renderer import TemplateError, Values, render, validate
from pms import webhook as pms_webhook
from pms.push import PushEvent, to_pms_reservation
from whatsapp import inbound
from whatsapp import webhooks as waha_webhooks
from whatsapp.schemas import Envelope

MANY = settings(
    max_examples=400,
    deadline=None,
    # The one fixture used (the WAHA key in settings) is the same for every example.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
WAHA_KEY = "fuzz-waha-hmac-key-0123456789"

# --- the renderer -----------------------------------------------------------------------------

NAMES = sorted(renderer.VARIABLES)
PLACEHOLDER = st.builds(
    lambda name, left, right: "{{" + left + name + right + "}}",
    st.sampled_from(NAMES),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", " ", "\t"]),
)
# Pieces a template is made of, braces on their own included: staff type "{ }" and "{{{".
PIECES = st.one_of(
    PLACEHOLDER,
    st.text(max_size=12),
    st.sampled_from(["{", "}", "{{", "}}", "{{{", "}}}", " ", "\n", "{{nope}}", "{{ 1x }}"]),
)
TEMPLATES = st.lists(PIECES, max_size=10).map("".join)
LANGUAGES = st.one_of(
    st.sampled_from(["en", "id", "ja", "", "xx", "zh_Hant", "en-US", "sr_Latn_RS", "root"]),
    st.text(max_size=12),
)
DATES = st.one_of(st.none(), st.dates())
VALUES = st.builds(
    Values,
    guest_name=st.text(max_size=300),
    room_number=st.text(max_size=20),
    check_in=DATES,
    check_out=DATES,
    hotel_name=st.text(max_size=40),
    feedback_link=st.text(max_size=40),
    language=LANGUAGES,
)


def substituted(content: str, values: Values) -> str:
    """What a guest must read for a valid template: every placeholder validate() saw, and
    nothing else, replaced by its value (or its fallback)."""
    text = values.as_text()
    return re.sub(
        r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}",
        lambda match: text.get(match.group(1)) or renderer.VARIABLES.get(match.group(1), ""),
        content,
    )


@MANY
@given(content=TEMPLATES, values=VALUES, trigger=st.sampled_from(["pre-arrival", "post-stay"]))
@example(content="{{{guestName}}", values=Values(guest_name="Ana"), trigger="pre-arrival")
def test_a_valid_template_renders_exactly_its_placeholders(
    content: str, values: Values, trigger: str
) -> None:
    try:
        validate(content, trigger)
    except TemplateError:
        assume(False)
    assert render(content, values) == substituted(content, values)


@MANY
@given(content=TEMPLATES | st.text(), values=VALUES)
def test_any_template_renders_without_raising_and_values_are_not_rescanned(
    content: str, values: Values
) -> None:
    rendered = render(content, values)
    assert isinstance(rendered, str)
    # A value is inserted as it is: a guest called "{{hotelName}}" is called that.
    hostile = Values(guest_name="{{hotelName}} {{", hotel_name="Hotel")
    assert render("{{guestName}}", hostile) == "{{hotelName}} {{"


@MANY
@given(content=TEMPLATES | st.text(), trigger=st.text(max_size=12))
def test_validate_refuses_only_with_a_template_error(content: str, trigger: str) -> None:
    try:
        validate(content, trigger)
    except TemplateError as refusal:
        assert str(refusal)  # it says what is wrong


@MANY
@given(values=VALUES)
def test_every_value_is_one_clipped_line(values: Values) -> None:
    for name, text in values.as_text().items():
        if name in ("guestName", "roomNumber", "hotelName"):
            assert len(text) <= renderer.MAX_VALUE_LENGTH
            assert text == text.strip() and "\n" not in text


# --- the phone normaliser ---------------------------------------------------------------------

REGIONS = st.one_of(
    st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    st.sampled_from(["", "id", "ZZ", "001", "XX"]),
    st.text(max_size=4),
)
PHONE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="+0123456789 -().", max_size=30),
    st.text(alphabet="+٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", max_size=20),  # other scripts' digits
)
EXAMPLE_NUMBERS = [
    number
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    if (number := phonenumbers.example_number(region)) is not None
]
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]


@MANY
@given(raw=PHONE_TEXT, region=REGIONS)
def test_to_e164_gives_a_number_or_refuses_it_and_is_idempotent(raw: str, region: str) -> None:
    try:
        e164 = to_e164(raw, region)
    except InvalidPhoneNumber as refusal:
        assert refusal.retryable is False and refusal.code == "invalid_number"
        return
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", e164)
    assert to_e164(e164, region) == e164
    assert to_e164(e164, "ID") == e164  # an E.164 number needs no region


@MANY
@given(
    number=st.sampled_from(EXAMPLE_NUMBERS),
    form=st.sampled_from(FORMATS),
    region=REGIONS,
)
def test_every_international_form_of_a_number_is_the_same_number(
    number: phonenumbers.PhoneNumber, form: int, region: str
) -> None:
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    written = phonenumbers.format_number(number, form)
    assert to_e164(written, region) == expected
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    home = phonenumbers.region_code_for_number(number)
    assert to_e164(national, home) == expected


@MANY
@given(number=st.sampled_from(EXAMPLE_NUMBERS))
def test_a_chat_id_turns_back_into_its_number(number: phonenumbers.PhoneNumber) -> None:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert e164_from_chat_id(chat_id_for(e164)) == e164


@MANY
@given(chat_id=st.text(max_size=40) | st.text(alphabet="0123456789١٢٣@cus.lidgw", max_size=30))
@example(chat_id="٦٢٨١٢٣@c.us")
def test_a_chat_id_gives_ascii_digits_or_nothing(chat_id: str) -> None:
    phone = e164_from_chat_id(chat_id)
    assert phone is None or re.fullmatch(r"\+[0-9]+", phone), phone


# --- the PMS push signature (Standard Webhooks) ------------------------------------------------

# What a WSGI server hands Django as a header: latin-1 text, never a lone surrogate.
HEADER_TEXT = st.text(st.characters(codec="latin-1"), max_size=300)
SECRETS = st.binary(min_size=1, max_size=64).map(
    lambda key: pms_webhook.SECRET_PREFIX + base64.b64encode(key).decode()
)
WEBHOOK_IDS = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=255),
    HEADER_TEXT,
)
BODIES = st.binary(max_size=200) | st.builds(lambda v: json.dumps(v).encode(), st.text())
factory = RequestFactory()


def pms_request(body: bytes, headers: dict[str, str]) -> Any:
    return factory.post(
        "/api/webhooks/pms/x/", data=body, content_type="application/json", headers=headers
    )


def refusal_or_none(outcome: Refusal | None, statuses: set[int]) -> None:
    assert outcome is None or (outcome.status in statuses and outcome.reason), outcome


@MANY
@given(
    secret=SECRETS | st.just(""),
    body=BODIES,
    webhook_id=HEADER_TEXT,
    timestamp=HEADER_TEXT,
    signature=HEADER_TEXT,
)
def test_the_pms_verifier_only_refuses_whatever_the_headers(
    secret: str, body: bytes, webhook_id: str, timestamp: str, signature: str
) -> None:
    headers = {"webhook-id": webhook_id, "webhook-timestamp": timestamp}
    headers["webhook-signature"] = signature
    refusal_or_none(pms_webhook.verify(pms_request(body, headers), secret), {400, 401, 413})


@MANY
@given(
    secret=SECRETS,
    other=SECRETS,
    body=BODIES,
    webhook_id=WEBHOOK_IDS,
    skew=st.integers(-60, 60),
)
def test_a_pms_signature_verifies_and_any_change_breaks_it(
    secret: str, other: str, body: bytes, webhook_id: str, skew: int
) -> None:
    stamp = str(int(time.time()) + skew)
    signature = pms_webhook.sign(secret, webhook_id, stamp, body)
    headers = {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    accepted = pms_webhook.verify(pms_request(body, headers), secret)
    if not webhook_id:
        assert accepted is not None and accepted.status == 401  # no id: nothing to sign
    elif webhook_id.isprintable():
        assert accepted is None
    else:  # authentic, but an id no log could show: refused as malformed, not as forged
        assert accepted is not None and accepted.status == 400

    # Rotating: the old and the new secret's signatures side by side; either secret verifies.
    both = f"{pms_webhook.sign(other, webhook_id, stamp, body)} {signature}"
    rotating = pms_webhook.verify(pms_request(body, {**headers, "webhook-signature": both}), secret)
    assert rotating == accepted

    for changed in (
        {"body": body + b" "},
        {"webhook-id": webhook_id + "x"},
        {"webhook-timestamp": str(int(stamp) + 1)},
    ):
        forged_body = changed.pop("body", body)
        forged = pms_webhook.verify(pms_request(forged_body, {**headers, **changed}), secret)
        assert forged is not None and forged.status == 401
    if other != secret:
        wrong = pms_webhook.verify(pms_request(body, headers), other)
        assert wrong is not None and wrong.status == 401


# --- the WAHA signature (HMAC-SHA512 of the body) ---------------------------------------------


def waha_request(body: bytes, headers: dict[str, str]) -> Any:
    return factory.post(
        "/api/webhooks/waha/", data=body, content_type="application/json", headers=headers
    )


@pytest.fixture
def waha_key(settings: Any) -> str:
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_KEY
    return WAHA_KEY


@MANY
@given(body=BODIES, signature=HEADER_TEXT, timestamp=st.none() | HEADER_TEXT)
def test_the_waha_verifier_only_refuses_whatever_the_headers(
    waha_key: str, body: bytes, signature: str, timestamp: str | None
) -> None:
    headers = {"X-Webhook-Hmac": signature}
    if timestamp is not None:
        headers["X-Webhook-Timestamp"] = timestamp
    refusal_or_none(waha_webhooks.verify(waha_request(body, headers)), {400, 401, 413})


@MANY
@given(
    body=BODIES,
    upper=st.booleans(),
    skew_ms=st.none() | st.integers(-60_000, 60_000),
    flip=st.integers(0, 10_000),
)
def test_a_waha_signature_verifies_and_any_change_breaks_it(
    waha_key: str, body: bytes, upper: bool, skew_ms: int | None, flip: int
) -> None:
    digest = hmac.new(waha_key.encode(), body, hashlib.sha512).hexdigest()
    headers = {"X-Webhook-Hmac": digest.upper() if upper else digest}
    if skew_ms is not None:
        headers["X-Webhook-Timestamp"] = str(int(time.time() * 1000) + skew_ms)
    assert waha_webhooks.verify(waha_request(body, headers)) is None

    altered = bytearray(body or b"x")
    altered[flip % len(altered)] ^= 0x01
    forged = waha_webhooks.verify(waha_request(bytes(altered), headers))
    assert forged is not None and forged.status == 401


# --- the PMS push parser ----------------------------------------------------------------------

IDS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=64)
SHORT = st.text(max_size=16)
STAY_START = st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1))


@st.composite
def push_events(draw: st.DrawFn) -> dict[str, Any]:
    check_in = draw(STAY_START)
    reservation: dict[str, Any] = {
        "id": draw(IDS),
        "status": draw(st.sampled_from(["pre-arrival", "on-stay", "checked-out", "cancelled"])),
        "check_in": check_in.isoformat(),
        "check_out": (check_in + dt.timedelta(days=draw(st.integers(0, 30)))).isoformat(),
        "guest": {"id": draw(IDS), "first_name": draw(SHORT), "phone": draw(SHORT)},
    }
    optional = {
        "booking_code": SHORT,
        "room_number": st.text(max_size=16),
        "adults": st.integers(0, 50),
        "amount": st.decimals(-(10**9), 10**9, places=2, allow_nan=False).map(str),
        "currency": st.text(max_size=3),
        # Any moment in any offset, year 1 included: "0001-01-01T00:00:00+07:00" is before it.
        "updated_at": st.builds(
            lambda moment, minutes: moment.replace(
                tzinfo=dt.timezone(dt.timedelta(minutes=minutes))
            ).isoformat(),
            st.sampled_from([dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59)])
            | st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
            st.integers(-23 * 60, 23 * 60),
        ),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            reservation[name] = draw(strategy)
    return {"type": "reservation.upserted", "reservation": reservation}


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=20,
    )


@MANY
@given(
    body=st.binary(max_size=300)
    | json_values().map(lambda value: json.dumps(value).encode())
    | push_events().map(lambda event: json.dumps(event).encode())
)
def test_a_push_body_is_an_event_or_a_named_refusal(body: bytes) -> None:
    try:
        PushEvent.model_validate(json_input.load(body))
    except json_input.MalformedJson as refusal:
        assert str(refusal)
    except ValidationError as refusal:
        assert json_input.describe(refusal)


@MANY
@given(event=push_events())
def test_a_push_event_round_trips_and_maps(event: dict[str, Any]) -> None:
    try:
        parsed = PushEvent.model_validate(json_input.load(json.dumps(event).encode()))
    except (json_input.MalformedJson, ValidationError):
        return  # a value the schema refuses (a stripped-empty id, an amount too big)
    again = PushEvent.model_validate(json_input.load(parsed.model_dump_json().encode()))
    assert again == parsed
    mapped = to_pms_reservation(parsed)
    assert mapped.pms_id == parsed.reservation.id and mapped.check_in <= mapped.check_out
    if mapped.changed_at is not None:
        # Stored as UTC and read back: a moment before year 1 there could not be.
        assert 2000 <= mapped.changed_at.astimezone(dt.UTC).year < 2100


# --- the WAHA envelope parser -----------------------------------------------------------------


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(st.sampled_from(["message", "message.any", "message.ack", "session.status", "x"]))
    payload = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.text(max_size=300),
                "from": st.text(max_size=70) | st.just("6281234567890@c.us"),
                "fromMe": st.booleans(),
                "body": st.text(max_size=30),
                "timestamp": st.integers(-10, 10**13),
                "ack": st.integers(-3, 6),
                "status": st.text(max_size=70),
                "statuses": st.lists(st.fixed_dictionaries({"status": st.text(max_size=8)})),
            },
        )
    )
    envelope: dict[str, Any] = {"event": event, "session": draw(SHORT), "payload": payload}
    if draw(st.booleans()):
        envelope["id"] = draw(st.text(max_size=300))
        envelope["timestamp"] = draw(st.integers(-10, 10**16))
    if draw(st.booleans()):
        envelope["me"] = {"id": draw(st.text(max_size=70)), "pushName": draw(SHORT)}
    return envelope


@MANY
@given(
    body=st.binary(max_size=200)
    | json_values().map(lambda value: json.dumps(value).encode())
    | envelopes().map(lambda envelope: json.dumps(envelope).encode())
)
def test_a_waha_body_is_an_event_or_a_named_refusal(body: bytes) -> None:
    try:
        inbound.parse(Envelope.model_validate(json_input.load(body)))
    except (json_input.MalformedJson, inbound.Unacceptable) as refusal:
        assert str(refusal)
    except ValidationError as refusal:
        assert json_input.describe(refusal)
