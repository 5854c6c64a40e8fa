"""The OpenAPI 3.1 document of Innbox's HTTP API, served (public) at /api/openapi.json.

Each app describes the endpoints it owns in its own `openapi.py`, registered from its
AppConfig.ready (this layer knows no app above it; it only assembles). A request body that a
pydantic model parses is described by that model's own JSON Schema (`model_schema`), so the
document cannot drift from the parser. tests/test_openapi.py checks that every documented path
resolves to a view and that every /api/ route (and each JSON probe) is documented;
tests/test_api_schemathesis.py sends the app what the document allows, and what it does not.
docs/api.md is the prose beside it.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

VERSION = "0.1.0"

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {}

# --- what the apps share ---------------------------------------------------------------------

JSON = "application/json"
HTML = "text/html"


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def refusal(description: str) -> dict[str, Any]:
    """A 4xx that names the problem: `{"error": "..."}`."""
    return json_body(ref("Error"), description)


def html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {HTML: {"schema": {"type": "string"}}}}


# Answers every page behind a login gives alike (tenancy.access).
TO_LOGIN = {
    "description": "Not logged in (to /login/), or no hotel yet (to /onboarding/).",
    "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
}
NOT_FOUND = html(
    "Nothing of the person's hotel by that id, or a page for owners asked by staff: the same "
    "404 as a page that does not exist."
)
CSRF_REFUSED = html("No valid CSRF token (X-CSRFToken header matching the csrftoken cookie).")
# A person logged in; a POST also carries the CSRF token (Django's double-submit cookie).
SESSION: list[dict[str, list[str]]] = [{"session": []}]
SESSION_AND_CSRF: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]

_COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The session cookie of a person logged in at /login/ (15 minutes "
            "idle). Staff and owners of a hotel; owner-only operations say so.",
        },
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": "The value of the csrftoken cookie, repeated in this header, on "
            "every POST made with the session cookie.",
        },
        "cron": {
            "type": "http",
            "scheme": "bearer",
            "description": "CRON_SECRET, for an external scheduler.",
        },
    },
}
_SCHEMAS["Error"] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "What was wrong, in English."}},
}


# --- the registry ----------------------------------------------------------------------------


def describe(path: str, operations: dict[str, Any]) -> None:
    """Document the operations (`{"get": {...}, "post": {...}}`) of one path, written as
    OpenAPI writes paths (`/api/webhooks/pms/{public_id}/`)."""
    if path in _PATHS and _PATHS[path] != operations:
        raise ValueError(f"{path} is described twice")
    _PATHS[path] = operations


def schema(name: str, definition: dict[str, Any]) -> dict[str, str]:
    """A named schema in components; returns its $ref."""
    if _SCHEMAS.get(name, definition) != definition:
        raise ValueError(f"two schemas are called {name}")
    _SCHEMAS[name] = definition
    return ref(name)


def model_schema(model: type[BaseModel]) -> dict[str, str]:
    """The pydantic model's JSON Schema (and those it nests) in components; returns its $ref."""
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in generated.pop("$defs", {}).items():
        schema(name, nested)
    return schema(model.__name__, generated)


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Innbox",
            "version": VERSION,
            "summary": "Guest messaging for hotels: the webhooks Innbox receives, the send "
            "API, the WhatsApp connection and the scheduler tick.",
            "description": "Prose, examples and the rules of each endpoint: docs/api.md, "
            "docs/pms-push.md and docs/whatsapp.md in the repository. Answers are JSON unless "
            "an operation says otherwise; every answer carries an X-Request-ID header.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "paths": copy.deepcopy(dict(sorted(_PATHS.items()))),
        "components": {
            **copy.deepcopy(_COMPONENTS),
            "schemas": copy.deepcopy(dict(sorted(_SCHEMAS.items()))),
        },
    }


# --- this layer's own endpoints --------------------------------------------------------------

describe(
    "/api/openapi.json",
    {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": json_body({"type": "object"}, "The OpenAPI 3.1 document."),
            },
        }
    },
)
describe(
    "/healthz",
    {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness for load balancers: does the database answer?",
            "security": [],
            "responses": {
                "200": json_body(
                    schema(
                        "Health",
                        {
                            "type": "object",
                            "required": ["status", "database"],
                            "properties": {
                                "status": {"enum": ["ok", "error"]},
                                "database": {"enum": ["ok", "unreachable"]},
                            },
                        },
                    ),
                    "The database answers.",
                ),
                "503": json_body(ref("Health"), "The database does not answer."),
            },
        }
    },
)
