"""The PMS's endpoints in the OpenAPI document (innbox/openapi.py): the signed push and "Sync
now". The push's body is described by its parser's own schema (pms.push.PushEvent)."""

from __future__ import annotations

from automation.events import MAX_EVENT_ID_LENGTH
from innbox import openapi
from pms.push import PushEvent

PUSH_ANSWER = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {
            "enum": ["applied", "ignored", "duplicate"],
            "description": "applied; ignored (older than the change applied last: `reason` "
            "stale); duplicate (this webhook-id was received before: nothing changed).",
        },
        "reason": {"const": "stale"},
        **{
            count: {"type": "integer", "minimum": 0}
            for count in (
                "created",
                "updated",
                "unchanged",
                "transitions",
                "skipped",
                "unusable_phones",
                "stale",
            )
        },
    },
}


def register() -> None:
    unknown = openapi.refusal("Unknown hotel.")
    unknown["content"][openapi.HTML] = {"schema": {"type": "string"}}  # not a UUID: no route
    openapi.describe(
        "/api/webhooks/pms/{public_id}/",
        {
            "post": {
                "operationId": "pms_push",
                "summary": "A reservation changed in the PMS (Standard Webhooks, signed).",
                "description": "Signed with the hotel's secret from Settings → PMS: "
                "webhook-signature is `v1,` and the base64 HMAC-SHA256 of "
                "`{webhook-id}.{webhook-timestamp}.{body}` keyed with the secret's base64 part; "
                "several space-separated signatures are accepted while a secret rotates. The "
                "timestamp must be within 5 minutes of Innbox's clock. Each webhook-id is "
                "applied once; a redelivery answers `duplicate`. A refusal stores nothing. "
                "docs/pms-push.md.",
                "security": [],
                "parameters": [
                    {
                        "name": "public_id",
                        "in": "path",
                        "required": True,
                        "description": "The hotel's public id (the webhook URL on Settings → PMS).",
                        "schema": {"type": "string", "format": "uuid"},
                    },
                    {
                        "name": "webhook-id",
                        "in": "header",
                        "required": True,
                        "description": "The event's id: a redelivery carries the same one. "
                        "Printable characters only.",
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": MAX_EVENT_ID_LENGTH,
                        },
                    },
                    {
                        "name": "webhook-timestamp",
                        "in": "header",
                        "required": True,
                        "description": "Seconds since 1970 when it was signed.",
                        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                    },
                    {
                        "name": "webhook-signature",
                        "in": "header",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$",
                        },
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {openapi.JSON: {"schema": openapi.model_schema(PushEvent)}},
                },
                "responses": {
                    "200": openapi.json_body(
                        openapi.schema("PushAnswer", PUSH_ANSWER),
                        "Applied, ignored as stale, or a duplicate.",
                    ),
                    "400": openapi.refusal("Malformed: the body, a header, or a stale timestamp."),
                    "401": openapi.refusal("Unsigned, or a signature that does not verify."),
                    "404": unknown,
                    "409": openapi.refusal(
                        "Another event changed the same reservation at the same moment: nothing "
                        "was kept, send it again."
                    ),
                    "413": openapi.refusal("The body is larger than PMS_WEBHOOK_MAX_BODY_BYTES."),
                },
            }
        },
    )
    openapi.describe(
        "/api/pms/sync/",
        {
            "post": {
                "operationId": "pms_sync",
                "summary": "Sync now: queue a pull from the hotel's PMS (one at a time).",
                "security": openapi.SESSION_AND_CSRF,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "next": {
                                        "type": "string",
                                        "description": "Where to go back to (a path of Innbox).",
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": openapi.html("From HTMX (HX-Request): the sync's status widget."),
                    "302": {
                        "description": "Back to `next` (or the dashboard) with a notice; or, "
                        "not logged in, to /login/.",
                        "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
                    },
                    "403": openapi.CSRF_REFUSED,
                },
            }
        },
    )
    openapi.describe(
        "/api/pms/sync/status/",
        {
            "get": {
                "operationId": "pms_sync_status",
                "summary": "The sync's status widget (polled by the page while a sync runs).",
                "security": openapi.SESSION,
                "responses": {
                    "200": openapi.html("The widget: queued, running (pages done), or the result."),
                    "302": openapi.TO_LOGIN,
                },
            }
        },
    )
