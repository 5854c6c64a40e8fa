"""/settings/agent/ (owners): which brain answers guests, the LLM's settings from the environment
(the key masked), and "Test the model"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agent import llm_config
from agent.permissions import CONFIGURE_CONCIERGE
from tenancy.access import MemberRequest
from tenancy.permissions import requires

if TYPE_CHECKING:
    from agent.llm_check import ProbeResult


@requires(CONFIGURE_CONCIERGE)
def agent_settings(request: MemberRequest) -> HttpResponse:
    config = llm_config.llm_config()
    # What the page may show: never the key itself, not even to the template.
    shown = config and {
        "base_url": config.base_url,
        "model": config.model,
        "timeout": config.timeout,
        "has_key": bool(config.api_key),
        "key_ending": config.key_ending,
    }
    return render(
        request, "agent/llm_settings.html", {"config": shown, "brain": llm_config.brain()}
    )


@requires(CONFIGURE_CONCIERGE)
@require_POST
def test_model(request: MemberRequest) -> HttpResponse:
    """One tool-calling request to the configured model; the verdict comes back as a message."""
    # Here, not at the top: the model client's libraries load only when a model is tested.
    from agent.llm_check import Verdict, check_model

    result = check_model()
    level = messages.SUCCESS if result.works else messages.ERROR
    if result.verdict is Verdict.NOT_CONFIGURED:
        level = messages.INFO
    messages.add_message(request, level, verdict_text(result))
    return redirect("agent_settings")


def verdict_text(result: ProbeResult) -> str:
    from agent.llm_check import Verdict

    values = {"detail": result.detail or "—", "status": result.status or "—"}
    texts = {
        Verdict.TOOL_CALLS: _(
            "The model works with the concierge: it returned a real tool call (%(detail)s)."
        ),
        Verdict.TOOL_CALL_AS_TEXT: _(
            "The model wrote a tool call as text instead of returning real tool calls "
            "(%(detail)s). The concierge cannot use it: some Ollama versions do this, and "
            "llama.cpp's server without --jinja. Update the server or choose another model."
        ),
        Verdict.TEXT_ONLY: _(
            "The model answered with text and called no tool (%(detail)s). The concierge needs "
            "a model that calls tools: choose another model."
        ),
        Verdict.REFUSED: _(
            "The server refused the tool-calling request (HTTP %(status)s: %(detail)s). vLLM "
            "needs --enable-auto-tool-choice and a --tool-call-parser; llama.cpp's server needs "
            "--jinja. Check the model name too."
        ),
        Verdict.UNAUTHORIZED: _(
            "The server refused the API key (HTTP %(status)s). Check LLM_API_KEY."
        ),
        Verdict.UNREACHABLE: _("The model could not be used: %(detail)s. Nothing was changed."),
        Verdict.NOT_CONFIGURED: _(
            "No LLM is configured: set LLM_BASE_URL and LLM_MODEL in the server's environment "
            "and restart Innbox."
        ),
    }
    return texts[result.verdict] % values
