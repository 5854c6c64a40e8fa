"""/settings/agent/ (owners): which brain answers guests, the LLM's settings (the key never shown)
and "Test the model" against a fake OpenAI-compatible server: real tool_calls, text only, a tool
call written as text, a refused request, a wrong key, a server that is down."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.fake_openai import FakeOpenAI, error, text, tool_call

pytestmark = pytest.mark.django_db

KEY = "sk-live-0123456789abcdefWXYZ"


@pytest.fixture
def owner(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.owner)
    return client


def test_without_an_llm_the_page_says_the_embedded_engine_answers(
    owner: Client, settings: Any
) -> None:
    settings.LLM_BASE_URL = ""
    html = owner.get("/settings/agent/").content.decode()
    assert "Embedded engine" in html
    assert "Not configured." in html
    assert "Test the model" not in html


def test_the_page_shows_the_llm_and_never_its_key(owner: Client, fake_openai: FakeOpenAI) -> None:
    html = owner.get("/settings/agent/").content.decode()
    assert "Language model" in html and "Embedded engine" not in html
    assert fake_openai.url in html
    assert "fake-model" in html
    assert fake_openai.api_key not in html
    assert fake_openai.api_key[:12] not in html
    assert f"ends in …{fake_openai.api_key[-4:]}" in html
    assert "Test the model" in html
    assert fake_openai.requests == []  # showing the page asks the model nothing


def test_staff_and_strangers_cannot_see_or_use_it(
    client: Client, hotel_a: factories.Hotel, fake_openai: FakeOpenAI
) -> None:
    client.force_login(hotel_a.staff)
    assert client.get("/settings/agent/").status_code == 403  # the "Owners only" page
    assert client.post("/settings/agent/test/").status_code == 403
    client.logout()
    assert client.get("/settings/agent/").status_code == 302
    assert client.post("/settings/agent/test/").status_code == 302
    assert fake_openai.requests == []


def test_the_test_is_a_post(owner: Client, fake_openai: FakeOpenAI) -> None:
    assert owner.get("/settings/agent/test/").status_code == 405
    assert fake_openai.requests == []


def verdict(owner: Client) -> str:
    response = owner.post("/settings/agent/test/", follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_server_that_returns_real_tool_calls_works(
    owner: Client, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(tool_call("request_housekeeping", {"type": "towels", "details": "two"}))
    html = verdict(owner)
    assert "The model works with the concierge: it returned a real tool call" in html
    assert "request_housekeeping" in html
    [request] = fake_openai.requests  # one request, with a tool and tool_choice=auto
    assert request.tool_names == ["request_housekeeping"]
    assert request.body["tool_choice"] == "auto"
    assert request.headers["authorization"] == f"Bearer {fake_openai.api_key}"


def test_a_server_that_answers_with_text_only_is_named(
    owner: Client, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(text("Sure, I will bring you towels!"))
    html = verdict(owner)
    assert "The model answered with text and called no tool" in html
    assert "works with the concierge" not in html


def test_a_tool_call_written_as_text_is_not_a_tool_call(
    owner: Client, fake_openai: FakeOpenAI
) -> None:
    # What some Ollama versions return: the call in `content`, no `tool_calls`.
    fake_openai.script(text('{"name": "request_housekeeping", "arguments": {"type": "towels"}}'))
    html = verdict(owner)
    assert "The model wrote a tool call as text instead of returning real tool calls" in html
    assert "works with the concierge" not in html


def test_a_server_refusing_tool_choice_auto_is_explained(
    owner: Client, fake_openai: FakeOpenAI
) -> None:
    # vLLM started without --enable-auto-tool-choice.
    fake_openai.script(
        error(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser')
    )
    html = verdict(owner)
    assert "The server refused the tool-calling request (HTTP 400" in html
    assert "requires --enable-auto-tool-choice" in html
    assert len(fake_openai.requests) == 1


def test_a_wrong_key_is_named(owner: Client, fake_openai: FakeOpenAI, settings: Any) -> None:
    settings.LLM_API_KEY = KEY
    html = verdict(owner)
    assert "The server refused the API key (HTTP 401)" in html
    assert KEY not in html


def test_a_server_that_is_down_is_named_without_retries(
    owner: Client, fake_openai: FakeOpenAI
) -> None:
    fake_openai.stop()
    html = verdict(owner)
    assert "The model could not be used: The language model could not be reached" in html


def test_a_server_error_is_tried_once(owner: Client, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(error(503, "loading model"))
    html = verdict(owner)
    assert "The model could not be used" in html
    assert len(fake_openai.requests) == 1


def test_without_an_llm_the_test_asks_nobody(owner: Client, settings: Any) -> None:
    settings.LLM_BASE_URL = ""
    html = verdict(owner)
    assert "No LLM is configured" in html


def test_the_page_and_its_verdicts_speak_indonesian(
    owner: Client, hotel_a: factories.Hotel, fake_openai: FakeOpenAI
) -> None:
    hotel_a.owner.ui_language = "id"
    hotel_a.owner.save(update_fields=["ui_language"])
    html = owner.get("/settings/agent/").content.decode()
    assert '<html lang="id"' in html
    assert "Uji model" in html
    assert "Model bahasa" in html
    fake_openai.script(tool_call("request_housekeeping", {"type": "towels"}))
    assert "Model ini bisa dipakai concierge" in verdict(owner)
