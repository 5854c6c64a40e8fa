"""A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 speaking the subset of
`POST /v1/chat/completions` the concierge uses, with tool calls, scripted per test.

    fake = FakeOpenAI().start()
    fake.script(tool_call("order_in_room_dining", {"items": [{"name": "Nasi Goreng", "quantity": 2}]}),
                text("Please confirm your order."))
    ...  # point LLM_BASE_URL at fake.url
    fake.requests  # every request received, its headers and JSON body

Each request takes the next scripted answer; with none left the fake answers 500, so a test that
makes more model calls than it scripted fails loudly. Answers can also be an HTTP error, a delay
past the client's timeout, or a dropped connection. Test infrastructure: it keeps everything in
memory and calls no model.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-llm-key-0123456789"


@dataclass
class Answer:
    """One scripted answer to one request."""

    status: int = 200
    body: Any = None  # JSON-serialisable; a str is sent as it is
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in (self.body or {}).get("tools", [])]

    @property
    def tool_schemas(self) -> dict[str, dict[str, Any]]:
        return {
            tool["function"]["name"]: tool["function"].get("parameters", {})
            for tool in (self.body or {}).get("tools", [])
        }


def _completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_calls(*calls: tuple[str, dict[str, Any] | str]) -> Answer:
    """An assistant message with real `tool_calls`; arguments as a dict, or a raw string (to
    send malformed JSON)."""
    return Answer(
        body=_completion(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{index}",
                        "type": "function",
                        "function": {
                            "name": name,
                            "arguments": arguments
                            if isinstance(arguments, str)
                            else json.dumps(arguments),
                        },
                    }
                    for index, (name, arguments) in enumerate(calls, start=1)
                ],
            },
            "tool_calls",
        )
    )


def tool_call(name: str, arguments: dict[str, Any] | str) -> Answer:
    return tool_calls((name, arguments))


def text(content: str) -> Answer:
    return Answer(body=_completion({"role": "assistant", "content": content}, "stop"))


def error(status: int, message: str = "fake failure") -> Answer:
    return Answer(
        status=status,
        body={"error": {"message": message, "type": "invalid_request_error", "code": None}},
    )


def hang(seconds: float) -> Answer:
    """Answer only after `seconds`: longer than the client's timeout, the client gives up."""
    return Answer(delay=seconds, body=_completion({"role": "assistant", "content": "late"}, "stop"))


def dropped() -> Answer:
    return Answer(drop=True)


@dataclass
class FakeOpenAI:
    api_key: str = API_KEY
    requests: list[Received] = field(default_factory=list)
    _answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *answers: Answer) -> FakeOpenAI:
        with self._lock:
            self._answers.extend(answers)
        return self

    def _next(self) -> Answer:
        with self._lock:
            if self._answers:
                return self._answers.pop(0)
        return error(500, "the fake has no scripted answer left")

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode(errors="replace")
                with fake._lock:
                    fake.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._send(error(401, "Incorrect API key provided"))
                elif self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(error(404, f"no route {self.path}"))
                else:
                    self._send(fake._next())

            def do_GET(self) -> None:
                self._send(error(404, f"no route {self.path}"))

            def _send(self, answer: Answer) -> None:
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = (
                    answer.body.encode()
                    if isinstance(answer.body, str)
                    else json.dumps(answer.body).encode()
                )
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def closed_port_url() -> str:
    """The URL of a port nothing listens on: a model endpoint that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
