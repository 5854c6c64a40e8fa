"""The scheduler's tick in the OpenAPI document (innbox/openapi.py)."""

from __future__ import annotations

from innbox import openapi


def register() -> None:
    openapi.describe(
        "/api/cron/automation/",
        {
            "post": {
                "operationId": "cron_tick",
                "summary": "One scheduler tick, for an external cron instead of the worker's.",
                "description": "Queues what is due (syncs, timed messages); the worker sends "
                "them. Ticking twice is harmless: scheduled jobs carry idempotency keys.",
                "security": [{"cron": []}],
                "responses": {
                    "200": openapi.json_body(
                        openapi.schema(
                            "Tick",
                            {
                                "type": "object",
                                "required": ["status", "queued"],
                                "properties": {
                                    "status": {"const": "ok"},
                                    "queued": {"type": "integer", "minimum": 0},
                                },
                            },
                        ),
                        "Ticked: how many jobs it queued.",
                    ),
                    "401": {
                        **openapi.refusal("No bearer token, or not CRON_SECRET."),
                        "headers": {
                            "WWW-Authenticate": {"schema": {"type": "string"}, "required": True}
                        },
                    },
                },
            }
        },
    )
