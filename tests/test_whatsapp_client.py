"""The WAHA client against the fake WAHA: request shapes from api-facts.md §1, and every error
class with whether it may be retried."""

from __future__ import annotations

import socket
import time

import pytest
from django.test import RequestFactory

from tests.conftest import WAHA_TEST_KEY
from tests.fake_waha import FakeWaha
from whatsapp import webhooks
from whatsapp.waha import WahaClient, WahaError, message_id_from_send_response


@pytest.fixture
def fake() -> FakeWaha:
    server = FakeWaha(api_key=WAHA_TEST_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def waha(fake: FakeWaha) -> WahaClient:
    client = WahaClient(fake.url, WAHA_TEST_KEY, timeout=1.0)
    yield client
    client.close()


def wait_for(fake: FakeWaha, session: str, status: str) -> None:
    deadline = time.monotonic() + 5
    while fake.sessions[session].status != status:
        assert time.monotonic() < deadline, f"session never reached {status}"
        time.sleep(0.05)


@pytest.fixture
def working(fake: FakeWaha, waha: WahaClient) -> str:
    waha.create_session("default", {})
    wait_for(fake, "default", "SCAN_QR_CODE")
    fake.pair("default", phone="+6281100001111", push_name="Hotel Alpha")
    return "default"


def test_every_call_carries_the_api_key(fake: FakeWaha, waha: WahaClient, working: str) -> None:
    waha.get_session(working)
    assert {request.headers.get("X-Api-Key") for request in fake.received} == {WAHA_TEST_KEY}
    assert all(
        request.headers.get("User-Agent", "").startswith("Innbox/") for request in fake.received
    )


def test_create_session_posts_name_start_and_config(fake: FakeWaha, waha: WahaClient) -> None:
    config = {"webhooks": [{"url": "http://127.0.0.1/api/webhooks/waha/", "events": ["message"]}]}

    status = waha.create_session("default", config)

    request = fake.requests_to("/api/sessions")[0]
    assert request.method == "POST"
    assert request.body == {"name": "default", "start": True, "config": config}
    assert status == "STARTING"


def test_the_session_goes_from_starting_to_qr_to_working(fake: FakeWaha, waha: WahaClient) -> None:
    waha.create_session("default", {})
    assert waha.get_session("default").status == "STARTING"
    wait_for(fake, "default", "SCAN_QR_CODE")
    png = waha.qr_png("default")
    assert png.startswith(b"\x89PNG")
    assert fake.requests_to("/api/default/auth/qr")[-1].query == {"format": "image"}

    fake.pair("default", phone="+6281100001111", push_name="Hotel Alpha")

    state = waha.get_session("default")
    assert (state.status, state.me.phone, state.me.push_name) == (
        "WORKING",
        "+6281100001111",
        "Hotel Alpha",
    )
    assert waha.me("default").chat_id == "6281100001111@c.us"


@pytest.mark.parametrize("action", ["start", "stop", "restart", "logout"])
def test_session_actions_post_to_their_paths(
    fake: FakeWaha, waha: WahaClient, working: str, action: str
) -> None:
    getattr(waha, action)(working)

    assert fake.requests_to(f"/api/sessions/default/{action}")[-1].method == "POST"


def test_update_session_puts_the_config(fake: FakeWaha, waha: WahaClient, working: str) -> None:
    waha.update_session(working, {"metadata": {"a": "b"}})

    request = fake.requests_to("/api/sessions/default")[-1]
    assert (request.method, request.body) == ("PUT", {"config": {"metadata": {"a": "b"}}})


def test_me_is_none_before_pairing(fake: FakeWaha, waha: WahaClient) -> None:
    waha.create_session("default", {})
    assert waha.me("default") is None


def test_send_text_shapes_the_request_and_reads_the_noweb_id(
    fake: FakeWaha, waha: WahaClient, working: str
) -> None:
    message_id = waha.send_text(working, "6281234567890@c.us", "Selamat datang!")

    request = fake.requests_to("/api/sendText")[0]
    assert request.body == {
        "session": "default",
        "chatId": "6281234567890@c.us",
        "text": "Selamat datang!",
        "linkPreview": False,
    }
    assert message_id.startswith("true_6281234567890@c.us_")


def test_send_text_reads_the_webjs_id(fake: FakeWaha, waha: WahaClient, working: str) -> None:
    fake.engine = "WEBJS"
    message_id = waha.send_text(working, "6281234567890@c.us", "Hi")
    assert message_id.startswith("true_6281234567890@c.us_")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"id": "true_1@c.us_ABC"}, "true_1@c.us_ABC"),
        ({"id": {"_serialized": "true_1@c.us_DEF", "id": "DEF"}}, "true_1@c.us_DEF"),
        (
            {
                "key": {"remoteJid": "111@s.whatsapp.net", "fromMe": True, "id": "3EB0"},
                "status": "PENDING",
            },
            "true_111@c.us_3EB0",
        ),
        ({}, None),
        (None, None),
        ({"id": None, "key": {"id": "X"}}, None),
    ],
)
def test_it_finds_the_message_id_in_every_engines_answer(
    response: object, expected: str | None
) -> None:
    assert message_id_from_send_response(response) == expected


def test_check_exists_is_a_get_with_phone_and_session(
    fake: FakeWaha, waha: WahaClient, working: str
) -> None:
    fake.not_on_whatsapp.add("6289999999999")

    assert waha.check_exists(working, "6281234567890").chat_id == "6281234567890@c.us"
    assert waha.check_exists(working, "6289999999999").exists is False
    request = fake.requests_to("/api/contacts/check-exists")[0]
    assert (request.method, request.query) == (
        "GET",
        {"phone": "6281234567890", "session": "default"},
    )


@pytest.mark.parametrize(
    ("method_name", "path"),
    [
        ("send_seen", "/api/sendSeen"),
        ("start_typing", "/api/startTyping"),
        ("stop_typing", "/api/stopTyping"),
    ],
)
def test_presence_calls_post_session_and_chat(
    fake: FakeWaha, waha: WahaClient, working: str, method_name: str, path: str
) -> None:
    getattr(waha, method_name)(working, "6281234567890@c.us")
    assert fake.requests_to(path)[0].body == {"session": "default", "chatId": "6281234567890@c.us"}


def test_it_maps_a_lid_to_a_phone(fake: FakeWaha, waha: WahaClient, working: str) -> None:
    fake.lids["555666@lid"] = "6281234567890@c.us"

    assert waha.phone_for_lid(working, "555666@lid") == "6281234567890@c.us"
    assert waha.phone_for_lid(working, "777@lid") is None
    assert fake.received[-1].path == "/api/default/lids/777@lid"


# --- errors --------------------------------------------------------------------------------


def test_a_wrong_api_key_is_not_retryable(fake: FakeWaha) -> None:
    with pytest.raises(WahaError) as caught:
        WahaClient(fake.url, "wrong-key").get_session("default")
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (
        401,
        "unauthorized",
        False,
    )


def test_an_unknown_session_is_not_retryable(waha: WahaClient) -> None:
    with pytest.raises(WahaError) as caught:
        waha.get_session("nope")
    assert (caught.value.status, caught.value.retryable) == (404, False)


def test_sending_before_the_session_works_is_not_retryable(
    fake: FakeWaha, waha: WahaClient
) -> None:
    waha.create_session("default", {})
    with pytest.raises(WahaError) as caught:
        waha.send_text("default", "6281234567890@c.us", "Hi")
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (
        422,
        "session_not_ready",
        False,
    )


def test_core_refuses_a_second_session_name(waha: WahaClient) -> None:
    with pytest.raises(WahaError) as caught:
        waha.create_session("hotel-b", {})
    assert caught.value.status == 422 and "only 'default'" in caught.value.message


def test_an_invalid_chat_id_is_not_retryable(
    fake: FakeWaha, waha: WahaClient, working: str
) -> None:
    with pytest.raises(WahaError) as caught:
        waha.send_text(working, "not-a-number@c.us", "Hi")
    assert (caught.value.status, caught.value.retryable) == (400, False)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(
    fake: FakeWaha, waha: WahaClient, working: str, status: int
) -> None:
    fake.fail("POST", "/api/sendText", status=status)
    with pytest.raises(WahaError) as caught:
        waha.send_text(working, "6281234567890@c.us", "Hi")
    assert (caught.value.status, caught.value.retryable) == (status, True)


def test_rate_limits_are_retryable_after_the_delay_asked(
    fake: FakeWaha, waha: WahaClient, working: str
) -> None:
    fake.fail("POST", "/api/sendText", status=429)
    with pytest.raises(WahaError) as caught:
        waha.send_text(working, "6281234567890@c.us", "Hi")
    assert (caught.value.code, caught.value.retryable) == ("rate_limited", True)


def test_a_timeout_is_retryable(fake: FakeWaha, waha: WahaClient, working: str) -> None:
    fake.fail("POST", "/api/sendText", status=None, delay=1.5)
    with pytest.raises(WahaError) as caught:
        waha.send_text(working, "6281234567890@c.us", "Hi")
    assert (caught.value.code, caught.value.retryable) == ("timeout", True)


def test_an_unreachable_server_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(WahaError) as caught:
        WahaClient(f"http://127.0.0.1:{port}", WAHA_TEST_KEY, timeout=1).get_session("default")
    assert (caught.value.code, caught.value.retryable) == ("connection", True)


def test_the_documented_hmac_vector_passes_our_verification(settings) -> None:
    # api-facts.md §1.10: the example from WAHA's docs.
    settings.WAHA_WEBHOOK_HMAC_KEY = "my-secret-key"
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    signature = (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )
    factory = RequestFactory()

    good = factory.post("/", body, content_type="application/json", HTTP_X_WEBHOOK_HMAC=signature)
    bad = factory.post(
        "/", body + b" ", content_type="application/json", HTTP_X_WEBHOOK_HMAC=signature
    )

    assert webhooks.verify(good) is None
    assert webhooks.verify(bad).status == 401
