""" "Test the model" (/settings/agent/): one tool-calling request, sent the way the concierge sends
them, and a plain verdict on whether the server returned real `tool_calls`.

Servers differ (agent-facts.md): vLLM refuses `tool_choice=auto` unless started with
--enable-auto-tool-choice and a tool-call parser, llama.cpp's server needs --jinja, and some
Ollama versions put a tool call in the message's text instead of `tool_calls`. A concierge on
such a server would send the guest JSON, or nothing: the owner should know before a guest does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from pydantic_ai.direct import model_request
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError, UnexpectedModelBehavior
from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.tools import ToolDefinition

from agent import llm
from innbox.logs import get_logger

log = get_logger(__name__)

PROBE_TOOL = ToolDefinition(
    name="request_housekeeping",
    description="Ask housekeeping for something in the guest's own room.",
    parameters_json_schema={
        "type": "object",
        "properties": {
            "type": {
                "type": "string",
                "enum": ["cleaning", "towels", "amenities", "maintenance", "other"],
            },
            "details": {"type": "string"},
        },
        "required": ["type"],
        "additionalProperties": False,
    },
)
PROBE_INSTRUCTIONS = (
    "You are a hotel concierge. Act only through your tools: when a guest asks housekeeping for "
    "something, call request_housekeeping."
)
PROBE_MESSAGE = "Could you send two extra towels to my room, please?"


class Verdict(StrEnum):
    TOOL_CALLS = "tool_calls"  # works: real tool_calls came back
    TOOL_CALL_AS_TEXT = "tool_call_as_text"  # a tool call written in the text: unusable
    TEXT_ONLY = "text_only"  # answered, but called no tool
    REFUSED = "refused"  # the server refused the request (4xx), e.g. tool_choice=auto on vLLM
    UNAUTHORIZED = "unauthorized"  # the key was refused
    UNREACHABLE = "unreachable"  # connection refused, DNS, timeout, 5xx
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class ProbeResult:
    verdict: Verdict
    # The call that came back, or what the server said (its own words, cut short).
    detail: str = ""
    status: int | None = None

    @property
    def works(self) -> bool:
        return self.verdict is Verdict.TOOL_CALLS


def check_model() -> ProbeResult:
    config = llm.llm_config()
    if config is None:
        return ProbeResult(Verdict.NOT_CONFIGURED)
    try:
        response = llm.in_loop_thread(lambda: _ask(config))
    except ModelHTTPError as error:
        status = error.status_code
        if status in (401, 403):
            verdict = Verdict.UNAUTHORIZED
        elif 400 <= status < 500 and status not in (408, 429):
            verdict = Verdict.REFUSED
        else:
            verdict = Verdict.UNREACHABLE
        return ProbeResult(verdict, llm._short(error.body), status)
    except ModelAPIError as error:
        failure = llm.model_error(error)
        return ProbeResult(Verdict.UNREACHABLE, failure.message)
    except UnexpectedModelBehavior as error:
        return ProbeResult(Verdict.TEXT_ONLY, str(error)[:200])
    result = verdict_of(response)
    log.info("llm_model_tested", verdict=result.verdict.value)
    return result


async def _ask(config: llm.LLMConfig) -> ModelResponse:
    client = llm.openai_client(config)
    try:
        return await model_request(
            llm.chat_model(config, client),
            [ModelRequest.user_text_prompt(PROBE_MESSAGE, instructions=PROBE_INSTRUCTIONS)],
            model_settings=llm.model_settings(config),
            model_request_parameters=ModelRequestParameters(
                function_tools=[PROBE_TOOL], allow_text_output=True
            ),
        )
    finally:
        await client.close()


def verdict_of(response: ModelResponse) -> ProbeResult:
    calls = [part for part in response.parts if isinstance(part, ToolCallPart)]
    if calls:
        call = calls[0]
        arguments = call.args if isinstance(call.args, str) else json.dumps(call.args)
        return ProbeResult(Verdict.TOOL_CALLS, f"{call.tool_name}({arguments[:200]})")
    text = "".join(part.content for part in response.parts if isinstance(part, TextPart)).strip()
    if text and llm.looks_like_tool_call(text, [PROBE_TOOL.name]):
        return ProbeResult(Verdict.TOOL_CALL_AS_TEXT, text[:200])
    return ProbeResult(Verdict.TEXT_ONLY, text[:200])
