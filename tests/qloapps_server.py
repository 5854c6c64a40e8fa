"""A QloApps webservice on a local port, answering from tests/fixtures/qloapps over real HTTP.

`Interference` makes it a bad one: slow (a pause before every answer) or answering garbage
(`answer(resource, params)` returns the status and raw bytes to send instead, or None)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "qloapps"
KEY = "ZQ88PRJX5VWQHCWE4EE7SQ7HPNX00RAJ"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Interference:
    delay: float = 0.0  # seconds before every answer
    trickle: float = 0.0  # seconds between the bytes of an answer's body (a throttled proxy)
    answer: Callable[[str, dict[str, str]], tuple[int, bytes] | None] | None = None


class _Webservice(BaseHTTPRequestHandler):
    paths: list[str]
    interference: Interference

    def do_GET(self) -> None:
        self.paths.append(self.path)
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._answer(401, {"errors": [{"code": 18, "message": "Invalid key"}]})
        url = urlsplit(self.path)
        resource = url.path.removeprefix("/api/")
        params = dict(parse_qsl(url.query))
        time.sleep(self.interference.delay)
        garbage = self.interference.answer and self.interference.answer(resource, params)
        if garbage:
            return self._send(*garbage)
        if resource == "room_bookings":
            rows = _load("room_bookings.json")["bookings"]
            offset, _, count = params.get("limit", "0,1000").rpartition(",")
            chunk = rows[int(offset or 0) : int(offset or 0) + int(count)]
            return self._answer(200, {"bookings": chunk} if chunk else [])
        if resource in ("orders", "customers", "languages", "currencies"):
            return self._answer(200, _load(f"{resource}.json"))
        return self._answer(404, None)

    def _answer(self, status: int, body: Any) -> None:
        self._send(status, b"" if body is None else json.dumps(body).encode())

    def _send(self, status: int, content: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if not self.interference.trickle:
            self.wfile.write(content)
            return
        try:
            for byte in content:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.interference.trickle)
        except OSError:  # the client gave up: what this interference is for
            pass

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(interference: Interference | None = None) -> Iterator[tuple[str, list[str]]]:
    """Yields the shop's address (no /api: what an owner types) and the paths asked for.
    `interference` may be changed while it serves (the shop recovers)."""
    paths: list[str] = []
    handler = type(
        "Webservice",
        (_Webservice,),
        {"paths": paths, "interference": interference or Interference()},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()
