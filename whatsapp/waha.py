"""WAHA (WhatsApp HTTP API) client. Request and response shapes: ../shared/docs/api-facts.md §1.

Every failure becomes a WahaError (an IntegrationError) that says whether trying again can help:
timeouts, connection errors, 5xx and 429 can; 401, 404, 422 and invalid numbers can't.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from innbox.http import send, shared_client
from innbox.integrations import IntegrationError, retry_after_seconds

# Events Innbox subscribes to: guest messages, delivery acks, session state.
# `message.any` adds what the hotel's staff type on the phone itself (fromMe, source "app").
WEBHOOK_EVENTS = ["message", "message.any", "message.ack", "session.status"]


class WahaError(IntegrationError):
    pass


@dataclass(frozen=True)
class Me:
    chat_id: str  # "6281234567890@c.us"
    push_name: str

    @property
    def phone(self) -> str:
        return "+" + self.chat_id.split("@", 1)[0]


@dataclass(frozen=True)
class SessionState:
    name: str
    status: str
    me: Me | None


@dataclass(frozen=True)
class NumberCheck:
    exists: bool
    chat_id: str | None


def parse_me(data: Any) -> Me | None:
    if not isinstance(data, dict) or not data.get("id"):
        return None
    return Me(chat_id=str(data["id"]), push_name=str(data.get("pushName") or ""))


def message_id_from_send_response(data: Any) -> str | None:
    """Send responses are the engine's raw object (WAHA issue #760), so the id hides differently:
    a string `id`; an object `id` with `_serialized` (WEBJS); or NOWEB/GOWS's `key`, from which
    WAHA's serialized form `{fromMe}_{chat}@c.us_{id}` is rebuilt. None when absent (an empty body,
    as WEBJS 2025.6.5 returned): the ack webhook correlates later."""
    if not isinstance(data, dict):
        return None
    ident = data.get("id")
    if isinstance(ident, str) and ident:
        return ident
    if isinstance(ident, dict) and isinstance(ident.get("_serialized"), str):
        return ident["_serialized"]
    key = data.get("key")
    if isinstance(key, dict) and key.get("id") and key.get("remoteJid"):
        chat = str(key["remoteJid"]).replace("@s.whatsapp.net", "@c.us")
        from_me = "true" if key.get("fromMe") else "false"
        return f"{from_me}_{chat}_{key['id']}"
    return None


class WahaClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 15.0) -> None:
        # The process's client for this WAHA (innbox.http.shared_client): a send per message
        # must not build one each time.
        self._http = shared_client(
            base_url.rstrip("/"), headers={"X-Api-Key": api_key}, timeout=timeout
        )

    def close(self) -> None:
        pass  # the HTTP client is the process's, shared by every WahaClient of this WAHA

    def __enter__(self) -> WahaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- sessions ------------------------------------------------------------------------

    def create_session(self, name: str, config: dict[str, Any], *, start: bool = True) -> str:
        data = self._call(
            "POST", "/api/sessions", json={"name": name, "start": start, "config": config}
        )
        return str(data.get("status", "STARTING"))

    def update_session(self, name: str, config: dict[str, Any]) -> str:
        data = self._call("PUT", f"/api/sessions/{quote(name)}", json={"config": config})
        return str(data.get("status", "STARTING"))

    def get_session(self, name: str) -> SessionState:
        data = self._call("GET", f"/api/sessions/{quote(name)}")
        return SessionState(
            name=str(data.get("name", name)),
            status=str(data.get("status", "STOPPED")),
            me=parse_me(data.get("me")),
        )

    def start(self, name: str) -> str:
        return self._session_action(name, "start")

    def stop(self, name: str) -> str:
        return self._session_action(name, "stop")

    def restart(self, name: str) -> str:
        return self._session_action(name, "restart")

    def logout(self, name: str) -> str:
        return self._session_action(name, "logout")

    def _session_action(self, name: str, action: str) -> str:
        data = self._call("POST", f"/api/sessions/{quote(name)}/{action}")
        return str(data.get("status", ""))

    def me(self, name: str) -> Me | None:
        return parse_me(self._call("GET", f"/api/sessions/{quote(name)}/me"))

    def qr_png(self, name: str) -> bytes:
        response = self._request(
            "GET",
            f"/api/{quote(name)}/auth/qr",
            params={"format": "image"},
            headers={"Accept": "image/png"},
        )
        return response.content

    # --- messages ------------------------------------------------------------------------

    def send_text(self, session: str, chat_id: str, text: str) -> str | None:
        data = self._call(
            "POST",
            "/api/sendText",
            json={"session": session, "chatId": chat_id, "text": text, "linkPreview": False},
        )
        return message_id_from_send_response(data)

    def recent_messages_from_me(
        self, session: str, chat_id: str, *, since: int, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Messages this number sent to `chat_id` since a unix time, newest first: how a send
        whose outcome we never heard is settled. Without downloadMedia WAHA skips the media."""
        data = self._call(
            "GET",
            f"/api/{quote(session)}/chats/{quote(chat_id, safe='')}/messages",
            params={
                "limit": limit,
                "downloadMedia": "false",
                "filter.fromMe": "true",
                "filter.timestamp.gte": since,
            },
        )
        if not isinstance(data, list):
            raise WahaError(
                "WAHA answered the chat history with something that is not a list",
                retryable=True,
                code="bad_response",
            )
        return [item for item in data if isinstance(item, dict)]

    def check_exists(self, session: str, phone_digits: str) -> NumberCheck:
        data = self._call(
            "GET", "/api/contacts/check-exists", params={"phone": phone_digits, "session": session}
        )
        return NumberCheck(exists=bool(data.get("numberExists")), chat_id=data.get("chatId"))

    def send_seen(self, session: str, chat_id: str) -> None:
        self._call("POST", "/api/sendSeen", json={"session": session, "chatId": chat_id})

    def start_typing(self, session: str, chat_id: str) -> None:
        self._call("POST", "/api/startTyping", json={"session": session, "chatId": chat_id})

    def stop_typing(self, session: str, chat_id: str) -> None:
        self._call("POST", "/api/stopTyping", json={"session": session, "chatId": chat_id})

    def phone_for_lid(self, session: str, lid: str) -> str | None:
        """'123@lid' -> '6281234567890@c.us', or None when WhatsApp does not say."""
        data = self._call("GET", f"/api/{quote(session)}/lids/{quote(lid, safe='')}")
        pn = data.get("pn") if isinstance(data, dict) else None
        return str(pn) if pn else None

    # --- transport -----------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise WahaError(
                f"WAHA answered {method} {path} with something that is not JSON",
                retryable=True,
                status=response.status_code,
                code="bad_response",
            ) from None

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = send(self._http, "WAHA", method, path, error=WahaError, **kwargs)
        if response.status_code >= 400:
            raise _error_for(response, method, path)
        return response


def _error_for(response: httpx.Response, method: str, path: str) -> WahaError:
    status = response.status_code
    detail = _detail(response)
    where = f"{method} {path}"
    if status == 401:
        return WahaError(
            "WAHA refused the API key (401): check WAHA_API_KEY",
            retryable=False,
            status=status,
            code="unauthorized",
        )
    if status == 404:
        return WahaError(
            f"WAHA: not found ({where}): {detail}", retryable=False, status=status, code="not_found"
        )
    if status == 422:
        code = "session_not_ready" if "status" in detail.lower() else "unprocessable"
        return WahaError(
            f"WAHA refused {where} (422): {detail}", retryable=False, status=status, code=code
        )
    if status == 429:
        return WahaError(
            "WAHA asked us to slow down (429)",
            retryable=True,
            status=status,
            # Either form: seconds, or the date a proxy in front of WAHA may send instead.
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            code="rate_limited",
        )
    if status >= 500:
        return WahaError(
            f"WAHA failed on {where} ({status})", retryable=True, status=status, code="server_error"
        )
    return WahaError(
        f"WAHA refused {where} ({status}): {detail}",
        retryable=False,
        status=status,
        code="bad_request",
    )


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return body[key][:300]
    return str(body)[:300]
