"""One HTTP client per process and WAHA: building one loads the CA bundle (about 55 ms of CPU),
so a send per message must not build one each time; threads share it, and a forked process
(gunicorn's workers, the worker's processes) builds its own instead of using its parent's."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import httpx
import pytest

from innbox import http
from tests import factories
from tests.conftest import WAHA_TEST_KEY
from whatsapp import sender, sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Client]:
    """Every httpx client built from here on, with none shared yet."""
    monkeypatch.setattr(http, "_SHARED", {})
    clients: list[httpx.Client] = []
    real_init = httpx.Client.__init__

    def counting_init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        clients.append(self)

    monkeypatch.setattr(httpx.Client, "__init__", counting_init)
    return clients


@pytest.fixture
def connected(hotel_a: factories.Hotel, fake_waha: Any, settings: Any) -> factories.Hotel:
    settings.APP_URL = "http://127.0.0.1:9"
    settings.WAHA_MIN_GAP_SECONDS = settings.WAHA_MAX_GAP_SECONDS = 0
    sessions.connect(hotel_a.tenant)
    deadline = time.monotonic() + 5
    while fake_waha.sessions["default"].status != "SCAN_QR_CODE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fake_waha.pair("default")
    sessions.refresh(hotel_a.tenant)
    return hotel_a


def test_two_sends_in_one_process_use_one_client(
    connected: factories.Hotel, fake_waha: Any, built: list[httpx.Client]
) -> None:
    first = sender.send_text(connected.tenant, "+6281234567890", "Selamat datang!")
    second = sender.send_text(connected.tenant, "+6281234567891", "Sampai jumpa!")

    assert first.message_id != second.message_id
    assert len(fake_waha.sent_texts) == 2
    assert len(built) == 1, "a new HTTP client (and CA bundle) per send"
    assert not built[0].is_closed  # kept for the next send


def test_threads_share_the_process_client(fake_waha: Any, built: list[httpx.Client]) -> None:
    clients: list[httpx.Client] = []
    start = threading.Barrier(4)

    def get() -> None:
        start.wait(timeout=10)
        clients.append(sessions.client()._http)

    threads = [threading.Thread(target=get) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(clients) == 4 and len({id(client) for client in clients}) == 1
    assert len(built) == 1


def test_a_forked_process_builds_its_own_client(fake_waha: Any, built: list[httpx.Client]) -> None:
    parents = http.shared_client(fake_waha.url, headers={"X-Api-Key": WAHA_TEST_KEY})
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report, and leave without running anything of pytest's
        try:
            own = http.shared_client(fake_waha.url, headers={"X-Api-Key": WAHA_TEST_KEY})
            answered = own.get("/api/sessions/forked-child").status_code
            again = http.shared_client(fake_waha.url, headers={"X-Api-Key": WAHA_TEST_KEY})
            os.write(writing, f"{own is parents} {own is again} {answered}".encode())
        finally:
            os._exit(0)
    os.close(writing)
    report = os.read(reading, 200).decode()
    os.close(reading)
    os.waitpid(child, 0)

    # Not the parent's client; one of its own, reused there, and it reaches WAHA.
    assert report == "False True 404"  # the fake has no such session, and says so
    assert "/api/sessions/forked-child" in [request.path for request in fake_waha.received]
    assert http.shared_client(fake_waha.url, headers={"X-Api-Key": WAHA_TEST_KEY}) is parents
