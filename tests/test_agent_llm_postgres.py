"""The LLM mode as the worker runs it: connected as the worker's role (innbox_worker) under
row-level security, the real client against the fake OpenAI-compatible server, the real tools.
The tools run on the worker's own thread and connection, in the hotel's RLS context; a tool
call cannot write for another hotel's guest even when the model asks for it.

The tools arrive with the embedded engine (agent/tools.py); until then this module is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip(
    "agent.tools", reason="the concierge's tools (agent/tools.py) come with the embedded engine"
)

from django.conf import settings

from agent import llm
from agent.models import HousekeepingRequest, PendingOrder
from agent.toolbox import EngineToolBox
from innbox.integrations import IntegrationError
from tenancy.db import acting_for_tenant
from tests import factories
from tests.fake_openai import FakeOpenAI, text, tool_call, tool_calls
from tests.helpers import concierge_guest, django_connected_as

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@dataclass
class Turn:
    text: str
    tenant: Any


def test_the_worker_runs_the_loop_and_the_tools_write_for_its_hotel_only(
    fake_openai: FakeOpenAI,
) -> None:
    alpha = factories.make_hotel("Hotel Alpha")
    beta = factories.make_hotel("Hotel Beta")
    ctx = concierge_guest(alpha)
    concierge_guest(beta)
    fake_openai.script(
        tool_calls(
            ("request_housekeeping", {"type": "towels", "details": "two, for Hotel Beta"}),
            ("order_in_room_dining", {"items": [{"name": "nasi goreng", "quantity": 1}]}),
        ),
        text("Done."),
    )
    with django_connected_as(settings.DB_WORKER_ROLE):
        result = llm.answer_with_llm(
            Turn("towels and nasi goreng", alpha.tenant), EngineToolBox(ctx)
        )
    with acting_for_tenant(alpha.tenant.id):
        [request] = HousekeepingRequest.objects.filter(tenant=alpha.tenant)
        [draft] = PendingOrder.objects.filter(tenant=alpha.tenant)
    assert request.reservation_id == alpha.reservation.pk and request.room_number == "214"
    assert draft.reservation_id == alpha.reservation.pk
    with acting_for_tenant(beta.tenant.id):
        assert not HousekeepingRequest.objects.filter(tenant=beta.tenant).exists()
        assert not PendingOrder.objects.filter(tenant=beta.tenant).exists()
    assert "Please confirm your room-service order for room 214" in result.text


def test_the_worker_gets_a_retryable_error_when_the_model_fails(fake_openai: FakeOpenAI) -> None:
    alpha = factories.make_hotel("Hotel Alpha")
    ctx = concierge_guest(alpha)
    fake_openai.script(tool_call("request_housekeeping", {"type": "towels"}))
    fake_openai.stop()
    with django_connected_as(settings.DB_WORKER_ROLE), pytest.raises(IntegrationError) as caught:
        llm.answer_with_llm(Turn("towels", alpha.tenant), EngineToolBox(ctx))
    assert caught.value.retryable
    with acting_for_tenant(alpha.tenant.id):
        assert not HousekeepingRequest.objects.filter(tenant=alpha.tenant).exists()
