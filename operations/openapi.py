"""The readiness probe in the OpenAPI document (innbox/openapi.py)."""

from __future__ import annotations

from innbox import openapi


def register() -> None:
    openapi.describe(
        "/readyz",
        {
            "get": {
                "operationId": "readyz",
                "summary": "Readiness: the database answers, migrations are applied, a worker "
                "runs.",
                "security": [],
                "responses": {
                    "200": openapi.json_body(
                        openapi.schema(
                            "Readiness",
                            {
                                "type": "object",
                                "required": ["status", "checks"],
                                "properties": {
                                    "status": {"enum": ["ready", "unready"]},
                                    "checks": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                },
                            },
                        ),
                        "Ready.",
                    ),
                    "503": openapi.json_body(
                        openapi.ref("Readiness"), "Not ready: `checks` says what is not."
                    ),
                },
            }
        },
    )
