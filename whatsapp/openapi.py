"""WhatsApp's endpoints in the OpenAPI document (innbox/openapi.py): WAHA's signed webhook and
the connection API the settings page uses. The webhook's envelope is described by its parser's
own schema (whatsapp.schemas.Envelope)."""

from __future__ import annotations

from innbox import openapi
from whatsapp.schemas import Envelope

STATUS = {
    "type": "object",
    "required": ["status", "waha_status", "session", "phone", "name", "error"],
    "properties": {
        "status": {
            "enum": [
                "disconnected",
                "starting",
                "scan_qr",
                "connected",
                "degraded",
                "failed",
                "attention",
            ],
            "description": "The hotel's WhatsApp as a person reads it; degraded: connected, "
            "but the last sends failed.",
        },
        "waha_status": {"type": ["string", "null"], "description": "WAHA's own session state."},
        "session": {"type": ["string", "null"]},
        "phone": {"type": "string", "description": "The connected number, E.164, or empty."},
        "name": {"type": "string", "description": "The WhatsApp profile name, or empty."},
        "error": {"type": ["string", "null"], "description": "Why it could not be done."},
    },
}


def register() -> None:
    status = openapi.schema("WhatsAppStatus", STATUS)
    openapi.describe(
        "/api/webhooks/waha/",
        {
            "post": {
                "operationId": "waha_webhook",
                "summary": "WAHA tells of a guest's message, a delivery ack or a session change.",
                "description": "Signed by WAHA with WAHA_WEBHOOK_HMAC_KEY: X-Webhook-Hmac is "
                "the hex HMAC-SHA512 of the body. Each event is applied once (by its envelope "
                "id, or what the payload identifies); a redelivery answers `duplicate`. An "
                "event for a session no hotel holds answers 200 so WAHA stops retrying. A "
                "refusal stores nothing. docs/whatsapp.md.",
                "security": [],
                "parameters": [
                    {
                        "name": "X-Webhook-Hmac",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{128}$"},
                    },
                    {
                        "name": "X-Webhook-Hmac-Algorithm",
                        "in": "header",
                        "required": False,
                        "description": "WAHA sends sha512; Innbox verifies SHA-512 whatever it says.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "X-Webhook-Timestamp",
                        "in": "header",
                        "required": False,
                        "description": "Milliseconds since 1970 (WAHA 2025+); within 5 minutes.",
                        "schema": {"type": "string", "pattern": "^[0-9]{1,15}$"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {openapi.JSON: {"schema": openapi.model_schema(Envelope)}},
                },
                "responses": {
                    "200": openapi.json_body(
                        openapi.schema(
                            "WebhookOutcome",
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"type": "string"}},
                            },
                        ),
                        "Applied (what it did), ignored, or a duplicate.",
                    ),
                    "400": openapi.refusal("Malformed body or timestamp, or a stale event."),
                    "401": openapi.refusal("Unsigned, or a signature that does not verify."),
                    "409": openapi.refusal("Not now (nothing stored): WAHA sends it again."),
                    "413": openapi.refusal("The body is larger than 1 MiB."),
                },
            }
        },
    )
    openapi.describe(
        "/api/waha/status/",
        {
            "get": {
                "operationId": "waha_status",
                "summary": "The hotel's WhatsApp connection, refreshed from WAHA.",
                "security": openapi.SESSION,
                "responses": {
                    "200": openapi.json_body(status, "The connection (or why WAHA did not say)."),
                    "302": openapi.TO_LOGIN,
                },
            }
        },
    )
    openapi.describe(
        "/api/waha/start/",
        {
            "post": {
                "operationId": "waha_start",
                "summary": "Connect: create or start the hotel's WAHA session (owners).",
                "security": openapi.SESSION_AND_CSRF,
                "responses": {
                    "200": openapi.json_body(status, "Starting: the QR code follows."),
                    "302": openapi.TO_LOGIN,
                    "403": openapi.CSRF_REFUSED,
                    "404": openapi.NOT_FOUND,
                    "409": openapi.json_body(
                        status,
                        "Not possible here: WAHA Core's one session is another hotel's, or no "
                        "WAHA is configured (the sandbox).",
                    ),
                    "502": openapi.json_body(status, "WAHA failed or did not answer."),
                },
            }
        },
    )
    openapi.describe(
        "/api/waha/qr/",
        {
            "get": {
                "operationId": "waha_qr",
                "summary": "The QR code to scan with the hotel's phone (owners).",
                "security": openapi.SESSION,
                "responses": {
                    "200": {
                        "description": "A PNG image.",
                        "content": {"image/png": {"schema": {"type": "string"}}},
                    },
                    "302": openapi.TO_LOGIN,
                    "404": openapi.NOT_FOUND,
                    "409": openapi.refusal("No QR code now (not connecting, or the sandbox)."),
                },
            }
        },
    )
    openapi.describe(
        "/api/waha/logout/",
        {
            "post": {
                "operationId": "waha_logout",
                "summary": "Disconnect: log the phone out and let the session go (owners).",
                "security": openapi.SESSION_AND_CSRF,
                "responses": {
                    "200": openapi.json_body(status, "Disconnected."),
                    "302": openapi.TO_LOGIN,
                    "403": openapi.CSRF_REFUSED,
                    "404": openapi.NOT_FOUND,
                    "409": openapi.json_body(status, "No WAHA is configured (the sandbox)."),
                    "502": openapi.json_body(status, "WAHA failed or did not answer."),
                },
            }
        },
    )
