"""A QloApps webservice on a local port, answering from tests/fixtures/qloapps over real HTTP."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "qloapps"
KEY = "ZQ88PRJX5VWQHCWE4EE7SQ7HPNX00RAJ"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class _Webservice(BaseHTTPRequestHandler):
    paths: list[str]

    def do_GET(self) -> None:
        self.paths.append(self.path)
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._answer(401, {"errors": [{"code": 18, "message": "Invalid key"}]})
        url = urlsplit(self.path)
        resource = url.path.removeprefix("/api/")
        params = dict(parse_qsl(url.query))
        if resource == "room_bookings":
            rows = _load("room_bookings.json")["bookings"]
            offset, _, count = params.get("limit", "0,1000").rpartition(",")
            chunk = rows[int(offset or 0) : int(offset or 0) + int(count)]
            return self._answer(200, {"bookings": chunk} if chunk else [])
        if resource in ("orders", "customers", "languages", "currencies"):
            return self._answer(200, _load(f"{resource}.json"))
        return self._answer(404, None)

    def _answer(self, status: int, body: Any) -> None:
        content = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving() -> Iterator[tuple[str, list[str]]]:
    """Yields the shop's address (no /api: what an owner types) and the paths asked for."""
    paths: list[str] = []
    handler = type("Webservice", (_Webservice,), {"paths": paths})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()
