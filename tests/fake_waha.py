"""A fake WAHA: a real HTTP server speaking the subset of WAHA's API that Innbox uses, with the
same paths, status codes and JSON shapes (../shared/docs/api-facts.md §1).

Tests start it on a random port; a developer can run it by hand to click through the connect flow:

    .venv/bin/python -m tests.fake_waha --port 3000 --api-key dev-waha-key --hmac-key dev-hmac-key-0123
    # then, in another terminal, pair the phone once the page shows the QR code:
    curl -X POST -H 'X-Api-Key: dev-waha-key' localhost:3000/_fake/sessions/default/pair \\
         -d '{"phone": "+6281100001111", "pushName": "Hotel Front Desk"}'
    # and write to the hotel as a guest:
    curl -X POST -H 'X-Api-Key: dev-waha-key' localhost:3000/_fake/sessions/default/inbound \\
         -d '{"from": "+6281234567890", "body": "Hi, my booking code is INN0006"}'

It is test infrastructure: it keeps everything in memory and sends nothing to WhatsApp.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import segno

STARTING_SECONDS = 0.3  # how long a session stays STARTING before it shows a QR code


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic()


@dataclass
class Failure:
    method: str
    path: str
    status: int | None  # None: hang past the client's timeout
    body: Any
    times: int
    delay: float = 0.0
    # The request is carried out first and only its answer fails: WhatsApp has the message,
    # the caller never hears so (a lost response, a gateway timeout).
    after_delivery: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 429
    # The connection is reset (TCP RST) instead of answered.
    reset: bool = False


@dataclass
class Hook:
    """Called once, in the server's thread, when a request to METHOD path arrives (`stage`
    "received": before anything is done) or is about to be answered ("answering": after it took
    effect). The request waits for it: a test kills or blocks the caller there."""

    method: str
    path: str
    stage: str
    callback: Callable[[Received], None]


@dataclass
class Session:
    name: str
    config: dict[str, Any]
    status: str = "STOPPED"
    me: dict[str, str] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


class FakeWaha:
    """Start with `start()`; `url` is its base URL. Thread-safe enough for tests."""

    def __init__(
        self,
        *,
        api_key: str = "test-waha-key",
        multi_session: bool = False,
        engine: str = "NOWEB",
        port: int = 0,
        legacy_envelopes: bool = False,
    ) -> None:
        self.api_key = api_key
        self.multi_session = multi_session
        self.engine = engine
        # Envelopes without `id` and `timestamp`, as WAHA 2024.x sent them.
        self.legacy_envelopes = legacy_envelopes
        self.sessions: dict[str, Session] = {}
        self.received: list[Received] = []
        self.sent_texts: list[dict[str, Any]] = []
        self.not_on_whatsapp: set[str] = set()  # digits
        self.lids: dict[str, str] = {}  # "123@lid" -> "628...@c.us"
        self.webhook_responses: list[httpx.Response] = []
        # Seconds WhatsApp takes to accept each message (a slow WAHA under load).
        self.send_latency = 0.0
        self._failures: list[Failure] = []
        self._hooks: list[Hook] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> FakeWaha:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- test controls ---------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int | None = 500,
        body: Any = None,
        times: int = 1,
        delay: float = 0.0,
        after_delivery: bool = False,
        headers: dict[str, str] | None = None,
        reset: bool = False,
    ) -> None:
        """The next `times` calls to METHOD path answer `status` (None: hang for `delay` s)
        with `headers`, or (`reset`) have their connection reset; with `after_delivery` the
        call takes effect before its answer fails."""
        default = {"statusCode": status, "message": "Fake failure"} if status else None
        with self._lock:
            self._failures.append(
                Failure(
                    method,
                    path,
                    status,
                    body if body is not None else default,
                    times,
                    delay,
                    after_delivery,
                    dict(headers or {}),
                    reset,
                )
            )

    def on(
        self, method: str, path: str, callback: Callable[[Received], None], *, stage: str
    ) -> None:
        """Call `callback` once when a request to METHOD path is `stage` ("received" or
        "answering"); see Hook."""
        assert stage in ("received", "answering")
        with self._lock:
            self._hooks.append(Hook(method, path, stage, callback))

    def pair(
        self, session: str = "default", *, phone: str = "+6281100001111", push_name: str = "Hotel"
    ) -> None:
        """The hotel scans the QR code with its phone: the session becomes WORKING."""
        with self._lock:
            target = self.sessions[session]
            target.me = {"id": f"{phone.lstrip('+')}@c.us", "pushName": push_name}
        self._set_status(session, "WORKING")

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def emit(
        self,
        session: str,
        event: str,
        payload: dict[str, Any],
        *,
        url: str | None = None,
        hmac_key: str | None = None,
        body_override: bytes | None = None,
        headers_override: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a webhook the way WAHA does: JSON envelope, HMAC-SHA512 of the raw body."""
        hook = self._webhook_config(session)
        target = url or (hook or {}).get("url")
        if not target:
            raise RuntimeError(f"session {session!r} has no webhook URL")
        key = hmac_key if hmac_key is not None else ((hook or {}).get("hmac") or {}).get("key")
        envelope: dict[str, Any] = {
            "event": event,
            "session": session,
            "payload": payload,
            "engine": self.engine,
            "environment": {"version": "2026.7.1", "engine": self.engine, "tier": "CORE"},
        }
        if not self.legacy_envelopes:
            envelope["id"] = "evt_" + secrets.token_hex(13)
            envelope["timestamp"] = int(time.time() * 1000)
        known = self.sessions.get(session)
        me = known.me if known else None
        if known and known.config.get("metadata"):
            envelope["metadata"] = known.config["metadata"]
        if me:
            envelope["me"] = me
        body = body_override if body_override is not None else json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "WAHA/2026.7.1"}
        if not self.legacy_envelopes:
            headers["X-Webhook-Request-Id"] = secrets.token_hex(8)
            headers["X-Webhook-Timestamp"] = str(int(time.time() * 1000))
        if key:
            headers["X-Webhook-Hmac"] = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
            headers["X-Webhook-Hmac-Algorithm"] = "sha512"
        headers.update(headers_override or {})
        response = httpx.post(target, content=body, headers=headers, timeout=10)
        self.webhook_responses.append(response)
        return response

    def guest_writes(
        self, session: str, *, from_phone: str, body: str, from_id: str | None = None
    ) -> httpx.Response:
        chat = from_id or f"{from_phone.lstrip('+')}@c.us"
        me = (self.sessions[session].me or {}).get("id", "")
        return self.emit(
            session,
            "message",
            {
                "id": f"false_{chat}_{secrets.token_hex(10).upper()}",
                "timestamp": int(time.time()),
                "from": chat,
                "fromMe": False,
                "source": "app",
                "to": me,
                "participant": None,
                "body": body,
                "hasMedia": False,
                "mediaUrl": None,
                "ack": 1,
                "ackName": "SERVER",
            },
        )

    def ack(self, session: str, message_id: str, ack: int) -> httpx.Response:
        names = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
        chat = message_id.split("_")[1] if "_" in message_id else ""
        return self.emit(
            session,
            "message.ack",
            {
                "id": message_id,
                "from": (self.sessions[session].me or {}).get("id", ""),
                "to": chat,
                "participant": None,
                "fromMe": True,
                "ack": ack,
                "ackName": names.get(ack, "UNKNOWN"),
            },
        )

    # --- internals -------------------------------------------------------------------------

    def _webhook_config(self, session: str) -> dict[str, Any] | None:
        target = self.sessions.get(session)
        hooks = (target.config.get("webhooks") if target else None) or []
        return hooks[0] if hooks else None

    def _set_status(self, name: str, status: str) -> None:
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                return
            session.status = status
            session.history = [
                *session.history,
                {"status": status, "timestamp": int(time.time() * 1000)},
            ][-3:]
            statuses = list(session.history)
        # Like WAHA, a webhook that cannot be delivered does not stop the session.
        if self._webhook_config(name):
            with contextlib.suppress(httpx.HTTPError):
                self.emit(
                    name, "session.status", {"name": name, "status": status, "statuses": statuses}
                )

    def _boot(self, name: str) -> None:
        self._set_status(name, "STARTING")
        timer = threading.Timer(STARTING_SECONDS, self._show_qr, args=(name,))
        timer.daemon = True
        timer.start()

    def _show_qr(self, name: str) -> None:
        session = self.sessions.get(name)
        if session and session.status == "STARTING":
            self._set_status(name, "SCAN_QR_CODE")

    def _run_hook(self, received: Received, stage: str) -> None:
        with self._lock:
            hook = next(
                (
                    h
                    for h in self._hooks
                    if (h.method, h.path, h.stage) == (received.method, received.path, stage)
                ),
                None,
            )
            if hook is not None:
                self._hooks.remove(hook)
        if hook is not None:
            hook.callback(received)

    def _take_failure(self, method: str, path: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.path == path and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes its socket under a sleeping handler.
        pass


def _handler_for(fake: FakeWaha) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeWAHA/2026.7.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read `fake.received` instead

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._json(400, {"statusCode": 400, "message": "Invalid JSON"})
            received = Received(
                method, path, query, dict(self.headers.items()), body, time.monotonic()
            )
            fake.received.append(received)
            if self.headers.get("X-Api-Key") != fake.api_key:
                return self._json(401, {"message": "Unauthorized", "statusCode": 401})
            fake._run_hook(received, "received")
            if (method, path) == ("POST", "/api/sendText"):
                time.sleep(fake.send_latency)
            failure = fake._take_failure(method, path)
            if failure is not None and failure.after_delivery:
                with contextlib.suppress(KeyError):
                    _route(fake, method, path, query, body or {})
            if failure is not None:
                fake._run_hook(received, "answering")
                if failure.reset:
                    return self._reset()
                if failure.status is None:
                    time.sleep(failure.delay)
                    return self._json(504, {"message": "too late"})
                return self._json(failure.status, failure.body, failure.headers)
            try:
                status, payload = _route(fake, method, path, query, body or {})
            except KeyError:
                return self._json(
                    404, {"statusCode": 404, "message": "Session not found", "error": "Not Found"}
                )
            fake._run_hook(received, "answering")
            if isinstance(payload, bytes):
                return self._send(status, payload, "image/png")
            return self._json(status, payload)

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout: close() sends RST, not FIN (a crashed proxy).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json", headers)

        def _send(
            self,
            status: int,
            content: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    return Handler


_SESSION_ACTION = re.compile(r"^/api/sessions/([^/]+)/(start|stop|restart|logout|me)$")
_SESSION = re.compile(r"^/api/sessions/([^/]+)$")
_QR = re.compile(r"^/api/([^/]+)/auth/qr$")
_LID = re.compile(r"^/api/([^/]+)/lids/(.+)$")
_CHAT_MESSAGES = re.compile(r"^/api/([^/]+)/chats/([^/]+)/messages$")
_FAKE = re.compile(r"^/_fake/sessions/([^/]+)/(pair|inbound)$")


def _not_working(session: Session) -> tuple[int, Any]:
    return 422, {
        "error": "Session status is not as expected. Try again later or restart the session",
        "session": session.name,
        "status": session.status,
        "expected": ["WORKING"],
    }


def _chat_history(
    fake: FakeWaha, session: Session, chat_id: str, query: dict[str, str]
) -> list[dict[str, Any]]:
    """WAMessage objects of what this session sent to the chat, newest first, honouring the
    `limit`, `filter.fromMe` and `filter.timestamp.gte` query parameters."""
    since = int(query.get("filter.timestamp.gte") or 0)
    me = (session.me or {}).get("id", "")
    sent = [
        {
            "id": text["id"],
            "timestamp": text["timestamp"],
            "from": me,
            "fromMe": True,
            "source": "api",
            "to": chat_id,
            "body": text["text"],
            "hasMedia": False,
            "ack": 1,
            "ackName": "SERVER",
        }
        for text in fake.sent_texts
        if text["chatId"] == chat_id
        and text["session"] == session.name
        and text["timestamp"] >= since
    ]
    if query.get("filter.fromMe") == "false":
        sent = []
    return list(reversed(sent))[: int(query.get("limit") or 10)]


def _route(
    fake: FakeWaha, method: str, path: str, query: dict[str, str], body: dict[str, Any]
) -> tuple[int, Any]:
    if method == "POST" and path == "/api/sessions":
        name = body.get("name") or "default"
        if not fake.multi_session and name != "default":
            return 422, {
                "statusCode": 422,
                "message": "WAHA Core support only 'default' session. If you want to run more then "
                "one WhatsApp account - please get WAHA PLUS version.",
            }
        if name in fake.sessions:
            return 422, {
                "statusCode": 422,
                "message": f"Session '{name}' already exists. Use PUT to update it.",
            }
        fake.sessions[name] = Session(name=name, config=body.get("config") or {})
        if body.get("start", True):
            fake._boot(name)
        return 201, {
            "name": name,
            "status": fake.sessions[name].status,
            "config": fake.sessions[name].config,
        }

    if match := _SESSION.match(path):
        session = fake.sessions[match.group(1)]
        if method == "GET":
            return 200, {
                "name": session.name,
                "status": session.status,
                "config": session.config,
                "me": session.me,
                "engine": {"engine": fake.engine},
                "presence": None,
                "timestamps": {"activity": None},
            }
        if method == "PUT":
            session.config = body.get("config") or {}
            if session.status != "STOPPED":
                fake._boot(session.name)
            return 200, {"name": session.name, "status": session.status, "config": session.config}
        if method == "DELETE":
            fake.sessions.pop(session.name, None)
            return 200, {}
    if method == "DELETE" and path.startswith("/api/sessions/"):
        return 200, {}  # deleting a session that is already gone is fine (idempotent)

    if match := _SESSION_ACTION.match(path):
        session = fake.sessions[match.group(1)]
        action = match.group(2)
        if action == "me" and method == "GET":
            return 200, session.me if session.status == "WORKING" else None
        if action in ("start", "restart") and method == "POST":
            if action == "restart" or session.status == "STOPPED":
                fake._boot(session.name)
        elif action == "stop" and method == "POST":
            fake._set_status(session.name, "STOPPED")
        elif action == "logout" and method == "POST":
            session.me = None
            was_stopped = session.status == "STOPPED"
            if not was_stopped:
                fake._boot(session.name)  # WAHA restarts a running session after logout
        return 201, {"name": session.name, "status": session.status, "config": session.config}

    if (match := _QR.match(path)) and method == "GET":
        session = fake.sessions[match.group(1)]
        if session.status != "SCAN_QR_CODE":
            return (
                _not_working(session)
                if session.status != "WORKING"
                else (
                    422,
                    {
                        "error": "Session status is not as expected",
                        "session": session.name,
                        "status": session.status,
                        "expected": ["SCAN_QR_CODE"],
                    },
                )
            )
        qr = segno.make(f"2@fake-waha-{session.name}-{int(time.time() // 20)}", error="m")
        return 200, _png(qr)

    if method == "POST" and path == "/api/sendText":
        session = fake.sessions[body.get("session", "default")]
        if session.status != "WORKING":
            return _not_working(session)
        chat_id = str(body.get("chatId", ""))
        digits = chat_id.split("@")[0]
        if not digits.isdigit() or not chat_id.endswith("@c.us"):
            return 400, {
                "statusCode": 400,
                "message": ["chatId must be a valid chat id"],
                "error": "Bad Request",
            }
        message_id = secrets.token_hex(11).upper()
        fake.sent_texts.append(
            {
                "chatId": chat_id,
                "text": body.get("text"),
                "session": session.name,
                "at": time.monotonic(),
                "id": f"true_{chat_id}_{message_id}",
                "timestamp": int(time.time()),
            }
        )
        if fake.engine == "NOWEB":
            return 201, {
                "key": {"remoteJid": f"{digits}@s.whatsapp.net", "fromMe": True, "id": message_id},
                "message": {"extendedTextMessage": {"text": body.get("text")}},
                "messageTimestamp": str(int(time.time())),
                "status": "PENDING",
            }
        return 201, {
            "id": {
                "fromMe": True,
                "remote": chat_id,
                "id": message_id,
                "_serialized": f"true_{chat_id}_{message_id}",
            },
            "body": body.get("text"),
        }

    if (match := _CHAT_MESSAGES.match(path)) and method == "GET":
        session = fake.sessions[match.group(1)]
        if session.status != "WORKING":
            return _not_working(session)
        return 200, _chat_history(fake, session, match.group(2), query)

    if method == "GET" and path == "/api/contacts/check-exists":
        session = fake.sessions[query.get("session", "default")]
        if session.status != "WORKING":
            return _not_working(session)
        digits = query.get("phone", "").split("@")[0]
        if digits in fake.not_on_whatsapp:
            return 200, {"numberExists": False}
        return 200, {"numberExists": True, "chatId": f"{digits}@c.us"}

    if method == "POST" and path in ("/api/sendSeen", "/api/startTyping", "/api/stopTyping"):
        session = fake.sessions[body.get("session", "default")]
        if session.status != "WORKING":
            return _not_working(session)
        return 201, {"result": True}

    if (match := _LID.match(path)) and method == "GET":
        fake.sessions[match.group(1)]  # 404 for unknown sessions
        lid = match.group(2)
        return 200, {"lid": lid, "pn": fake.lids.get(lid)}

    if (match := _FAKE.match(path)) and method == "POST":
        name, action = match.groups()
        fake.sessions[name]
        if action == "pair":
            fake.pair(
                name,
                phone=body.get("phone", "+6281100001111"),
                push_name=body.get("pushName", "Hotel"),
            )
            return 201, {"status": "WORKING"}
        response = fake.guest_writes(name, from_phone=body["from"], body=body.get("body", "Hello"))
        return 201, {"delivered": response.status_code}

    return 404, {"statusCode": 404, "message": f"Cannot {method} {path}", "error": "Not Found"}


def _png(qr: segno.QRCode) -> bytes:
    import io

    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake WAHA server by hand.")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--api-key", default="dev-waha-key")
    parser.add_argument("--multi-session", action="store_true")
    parser.add_argument("--engine", default="NOWEB", choices=["NOWEB", "WEBJS", "GOWS"])
    args = parser.parse_args()
    fake = FakeWaha(
        api_key=args.api_key, multi_session=args.multi_session, engine=args.engine, port=args.port
    )
    print(f"Fake WAHA on {fake.url} (X-Api-Key: {args.api_key}); Ctrl-C stops it.")
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
