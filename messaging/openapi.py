"""The send API in the OpenAPI document (innbox/openapi.py): what staff (or a program logged in
as a person of the hotel) sends a guest, and its preview. What a request may hold is
messaging.send_input's."""

from __future__ import annotations

from typing import Any

from innbox import openapi
from messaging.models import MessageStatus, Trigger
from messaging.send_input import MAX_ID_LENGTH, MAX_TEXT_LENGTH

NO_NUL = "^[^\\x00]*$"


def _text(description: str, **limits: Any) -> dict[str, Any]:
    return {"type": ["string", "null"], "pattern": NO_NUL, "description": description, **limits}


SEND_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "description": "Whom to write to (a reservation or a guest) and what: a template's "
    "trigger (composed in the guest's language), or staff's own text.",
    "properties": {
        "reservation": _text("A reservation's public id.", maxLength=MAX_ID_LENGTH),
        "guest": _text(
            "A guest's public id (when there is no reservation).", maxLength=MAX_ID_LENGTH
        ),
        "trigger": {
            "enum": ["", *Trigger.values, None],
            "description": "Send this template; empty: `text` is the message.",
        },
        "text": _text("The message, when no trigger is given.", maxLength=MAX_TEXT_LENGTH),
        "next": _text("The page to go back to (forms only; ignored here)."),
        "csrfmiddlewaretoken": _text("The CSRF token, when it travels in the body."),
    },
}
SENT = {
    "type": "object",
    "required": ["id", "status", "job", "language"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "The message's public id."},
        "status": {"enum": list(MessageStatus.values)},
        "job": {"type": ["string", "null"], "format": "uuid"},
        "language": {"type": "string"},
    },
}


def register() -> None:
    request = openapi.schema("SendRequest", SEND_REQUEST)
    body = {
        "required": True,
        "content": {
            openapi.JSON: {"schema": request},
            # The send dialog's form; with Accept: application/json it is answered as JSON.
            "application/x-www-form-urlencoded": {"schema": request},
        },
    }
    openapi.describe(
        "/api/messages/send/",
        {
            "post": {
                "operationId": "send_message",
                "summary": "Queue a message to a guest (the worker sends it, paced).",
                "description": "A JSON body is answered in JSON. The send dialog's form is "
                "answered with a redirect back and a notice, or in JSON with Accept: "
                "application/json. Quiet hours do not hold a message a person sends; the "
                "hotel's rate limit and pacing do (it waits in the queue, never dropped).",
                "security": openapi.SESSION_AND_CSRF,
                "requestBody": body,
                "responses": {
                    "202": openapi.json_body(openapi.schema("Sent", SENT), "Queued."),
                    "302": {
                        "description": "A form without Accept: application/json: back to "
                        "`next` with a notice; or, not logged in, to /login/.",
                        "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
                    },
                    "400": openapi.refusal(
                        "Malformed, or nothing to send (no phone, opted out, an empty text)."
                    ),
                    "403": openapi.CSRF_REFUSED,
                    "404": openapi.NOT_FOUND,
                },
            }
        },
    )
    openapi.describe(
        "/api/messages/preview/",
        {
            "post": {
                "operationId": "preview_message",
                "summary": "The message as the guest would read it (the send dialog's preview).",
                "security": openapi.SESSION_AND_CSRF,
                "requestBody": body,
                "description": "An HTMX partial: any request a person of the hotel makes is "
                "answered 200, with the preview or, in its place, why it cannot be sent.",
                "responses": {
                    "200": openapi.html("The preview, or why it cannot be sent, as HTML."),
                    "302": openapi.TO_LOGIN,
                    "403": openapi.CSRF_REFUSED,
                    "404": openapi.NOT_FOUND,
                },
            }
        },
    )
