"""The OpenAPI document at /api/openapi.json says what the code does: every documented path is a
route, every /api/ route and JSON probe is documented, each documented method is the one its
view takes, and the webhook bodies are their parsers' own schemas (docs/api.md)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from pms.push import PushEvent
from whatsapp.schemas import Envelope

pytestmark = pytest.mark.django_db

# The JSON endpoints outside /api/: the probes an orchestrator calls.
JSON_PROBES = {"/healthz", "/readyz"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document() -> dict[str, Any]:
    answer = Client().get("/api/openapi.json")  # nobody logged in: it is public
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return answer.json()


def routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every URL pattern of the site as OpenAPI writes paths ("/a/{public_id}/"), with its view."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), pattern.callback


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", str(uuid.uuid4()), path)


def test_it_is_openapi_3_1_and_describes_the_webhooks_send_api_waha_and_cron(
    document: dict[str, Any],
) -> None:
    assert document["openapi"] == "3.1.0"
    operations = {
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method in METHODS
    }
    assert {
        "pms_push",
        "waha_webhook",
        "send_message",
        "preview_message",
        "waha_status",
        "waha_start",
        "cron_tick",
    } <= operations


def test_every_api_route_and_json_probe_is_documented_and_nothing_else(
    document: dict[str, Any],
) -> None:
    served = {path for path, _ in routes() if path.startswith("/api/") or path in JSON_PROBES}
    assert set(document["paths"]) == served


def test_every_documented_path_resolves_to_the_view_of_that_route(
    document: dict[str, Any],
) -> None:
    views = dict(routes())
    for path in document["paths"]:
        assert resolve(concrete(path)).func == views[path], path


@pytest.mark.parametrize(
    "wrong",
    ["get", "post", "put", "delete"],
    ids=lambda method: f"{method.upper()} when not documented",
)
def test_a_method_not_documented_is_refused_with_405(
    document: dict[str, Any], wrong: str, owner_a: Any
) -> None:
    """Logged in as an owner, so that only the method can be what is refused."""
    client = Client()
    client.force_login(owner_a)
    for path, item in document["paths"].items():
        if wrong in item:
            continue
        answer = getattr(client, wrong)(concrete(path))
        assert answer.status_code == 405, f"{wrong.upper()} {path}: {answer.status_code}"


def test_the_webhook_bodies_are_their_parsers_own_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for model in (PushEvent, Envelope):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        generated.pop("$defs", None)
        assert schemas[model.__name__] == generated
    pms = document["paths"]["/api/webhooks/pms/{public_id}/"]["post"]
    assert pms["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PushEvent"
    }


def test_docs_api_md_names_the_path_of_the_document() -> None:
    from tests.helpers import ROOT

    assert "/api/openapi.json" in (ROOT / "docs" / "api.md").read_text()
