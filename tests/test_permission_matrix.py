"""The permission matrix (tenancy.permissions, docs/permissions.md) against every URL of the project.

The URL resolver is walked, so a new URL is covered the day it is added: it must declare who may
use it (@requires(ACTION), @signed_in or @public on its view) and, if its path has parameters,
get a real record of the hotel to fill them (PARAMS below). Each URL is then opened by an
anonymous visitor, the hotel's owner, its staff and another hotel's owner, with GET and POST, and
answers only what the matrix says: the login page, the page itself or a clear refusal
("Owners only", 403; another hotel's record, 404), never a server error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from agent.models import HousekeepingRequest, KnowledgeEntry, MenuItem, RoomServiceOrder
from automation.models import AutomationJob
from conversations.models import Conversation, SavedReply
from feedback import services as feedback_services
from messaging.models import MessageTemplate, MessageTemplateVariant
from tenancy import permissions
from tenancy.db import acting_for_tenant
from tenancy.models import Invitation, Membership
from tenancy.permissions import Access
from tests import factories
from tests.helpers import ROOT, worker_seen


@dataclass(frozen=True)
class Route:
    name: str  # as reverse() takes it, with its namespace
    route: str
    view: Any
    parameters: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield Route(
                name=f"{namespace}{entry.name}" if entry.name else "",
                route=prefix + str(entry.pattern),
                view=entry.callback,
                parameters=tuple(getattr(entry.pattern, "converters", {}) or ()),
            )


ROUTES = list(_walk(get_resolver().url_patterns))


@dataclass
class World:
    """Hotel A with a row in every table, hotel B, and the clients of the four visitors."""

    a: factories.Hotel
    b: factories.Hotel
    feedback_token: str


Params = Callable[[World], dict[str, Any]]

# How to fill each URL's parameters with a real record of hotel A. A new URL with parameters
# adds its line here.
PARAMS: dict[str, Params] = {
    "dashboard:reservation": lambda w: {"public_id": w.a.reservation.public_id},
    "dashboard:guest": lambda w: {"public_id": w.a.guest.public_id},
    "add_variant": lambda w: {
        "public_id": MessageTemplate.objects.get(tenant=w.a.tenant).public_id
    },
    "toggle_template": lambda w: {
        "public_id": MessageTemplate.objects.get(tenant=w.a.tenant).public_id
    },
    "save_variant": lambda w: {
        "public_id": MessageTemplateVariant.objects.get(tenant=w.a.tenant).public_id
    },
    "delete_variant": lambda w: {
        "public_id": MessageTemplateVariant.objects.get(tenant=w.a.tenant).public_id
    },
    "agent:menu_item": lambda w: {"public_id": MenuItem.objects.get(tenant=w.a.tenant).public_id},
    "agent:delete_menu_item": lambda w: {
        "public_id": MenuItem.objects.get(tenant=w.a.tenant).public_id
    },
    "agent:knowledge_entry": lambda w: {
        "public_id": KnowledgeEntry.objects.get(tenant=w.a.tenant).public_id
    },
    "agent:delete_knowledge_entry": lambda w: {
        "public_id": KnowledgeEntry.objects.get(tenant=w.a.tenant).public_id
    },
    "compliance:guest_data": lambda w: {"public_id": w.a.guest.public_id},
    "compliance:guest_data_json": lambda w: {"public_id": w.a.guest.public_id},
    "compliance:erase": lambda w: {"public_id": w.a.guest.public_id},
    "compliance:record_consent": lambda w: {"public_id": w.a.guest.public_id},
    "inbox_thread": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_live": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_reply": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_preview": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_take_over": lambda w: {
        "public_id": Conversation.objects.get(tenant=w.a.tenant).public_id
    },
    "inbox_hand_back": lambda w: {
        "public_id": Conversation.objects.get(tenant=w.a.tenant).public_id
    },
    "inbox_assign": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_close": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_reopen": lambda w: {"public_id": Conversation.objects.get(tenant=w.a.tenant).public_id},
    "inbox_guest_matches": lambda w: {
        "public_id": Conversation.objects.get(tenant=w.a.tenant).public_id
    },
    "inbox_link_guest": lambda w: {
        "public_id": Conversation.objects.get(tenant=w.a.tenant).public_id
    },
    "inbox_create_guest": lambda w: {
        "public_id": Conversation.objects.get(tenant=w.a.tenant).public_id
    },
    "guest_conversation": lambda w: {"public_id": w.a.guest.public_id},
    "edit_saved_reply": lambda w: {
        "public_id": SavedReply.objects.get(tenant=w.a.tenant).public_id
    },
    "delete_saved_reply": lambda w: {
        "public_id": SavedReply.objects.get(tenant=w.a.tenant).public_id
    },
    "move_order": lambda w: {
        "public_id": RoomServiceOrder.objects.get(tenant=w.a.tenant).public_id
    },
    "move_request": lambda w: {
        "public_id": HousekeepingRequest.objects.get(tenant=w.a.tenant).public_id
    },
    "retry_job": lambda w: {"public_id": AutomationJob.objects.get(tenant=w.a.tenant).public_id},
    "cancel_job": lambda w: {"public_id": AutomationJob.objects.get(tenant=w.a.tenant).public_id},
    "resend_invitation": lambda w: {
        "public_id": Invitation.objects.get(tenant=w.a.tenant).public_id
    },
    "revoke_invitation": lambda w: {
        "public_id": Invitation.objects.get(tenant=w.a.tenant).public_id
    },
    "remove_member": lambda w: {"public_id": Membership.objects.get(user=w.a.staff).public_id},
    "pms_webhook": lambda w: {"public_id": w.a.tenant.public_id},
    "feedback_form": lambda w: {"token": w.feedback_token},
    "feedback_thanks": lambda w: {"token": w.feedback_token},
    "password_reset_confirm": lambda w: {
        "uidb64": urlsafe_base64_encode(force_bytes(w.a.owner.pk)),
        "token": default_token_generator.make_token(w.a.owner),
    },
}

# What a page that lets the visitor in may answer: itself, a redirect after a POST, a form's
# refusal of empty input, the wrong method, or a conflict it explains (WhatsApp in the sandbox).
LET_IN = {200, 201, 202, 204, 302, 400, 405, 409}
# A public URL checks its own token, signature or secret: any answer but a server error.
PUBLIC = LET_IN | {401, 403, 404, 410, 413, 415, 422, 429}


# Deletions everyone of the hotel may do: the owner, asking last, finds it gone.
GONE_AFTER_STAFF = {"delete_saved_reply"}


def _expected(route: Route, who: str, method: str) -> set[int]:
    access = permissions.declared(route.view)
    if access is Access.PUBLIC:
        return PUBLIC
    if who == "anonymous":
        return {302}  # to the login page (checked below)
    if access is Access.SIGNED_IN:
        return LET_IN
    if who == "staff" and access is Access.OWNERS:
        return {403}
    if who == "owner" and method == "post" and route.name in GONE_AFTER_STAFF:
        return LET_IN | {404}  # staff, who may do it too, deleted it a moment before
    if who == "other_owner" and route.parameters:
        # Hotel A's record, asked for by hotel B: as missing as one that does not exist. A GET
        # on a POST-only URL is refused for the method before the record is looked up.
        return {404, 405} if method == "get" else {404}
    return LET_IN


@pytest.fixture
def world(db: None, settings: Any) -> World:
    settings.WAHA_BASE_URL = ""  # the sandbox: no WhatsApp server is called
    a, b = factories.make_hotel("Hotel Alpha"), factories.make_hotel("Hotel Bravo")
    factories.fill_every_table(a)
    factories.fill_every_table(b)
    with acting_for_tenant(a.tenant.id):
        link = feedback_services.issue_link(a.reservation)
    worker_seen()  # /readyz answers 200 with a worker running
    return World(a=a, b=b, feedback_token=link.rstrip("/").rsplit("/", 1)[-1])


def test_every_url_declares_who_may_use_it() -> None:
    undeclared = [
        f"{route.route} ({route.name or route.view.__name__})"
        for route in ROUTES
        if permissions.declared(route.view) is None
    ]
    assert not undeclared, (
        "These URLs do not say who may use them: decorate their view with "
        "@requires(ACTION) (an action of tenancy/permissions.py, or a new one there), "
        "@signed_in or @public, and add the action to docs/permissions.md: " + ", ".join(undeclared)
    )


def test_every_url_has_a_name_and_its_parameters_a_record_to_fill_them() -> None:
    unnamed = [route.route for route in ROUTES if not route.name]
    assert not unnamed, f"give these URLs a name: {unnamed}"
    missing = [route.name for route in ROUTES if route.parameters and route.name not in PARAMS]
    assert not missing, (
        f"add to PARAMS in {Path(__file__).name} how to fill the parameters of: {missing}"
    )


# The decisions of docs/permissions.md: changing one is changing this test too.
EVERYONE_MAY = {
    "see_hotel",
    "message_guests",
    "retry_automation",
    "sync_pms",
    "see_whatsapp_status",
    "work_boards",
    "see_concierge",
    "record_consent",
}
OWNERS_ONLY = {
    "cancel_automation",
    "edit_templates",
    "connect_whatsapp",
    "connect_pms",
    "edit_hotel",
    "manage_team",
    "read_audit_log",
    "edit_concierge",
    "set_guest_updates",
    "configure_concierge",
    "manage_personal_data",
    "edit_feedback_settings",
}


def test_the_matrix_is_the_one_decided() -> None:
    for key in EVERYONE_MAY:
        assert permissions.ACTIONS[key].roles == ("owner", "staff"), key
    for key in OWNERS_ONLY:
        assert permissions.ACTIONS[key].roles == ("owner",), key


def test_every_action_is_documented_and_shown_to_owners(client: Client, hotel_a) -> None:
    documentation = (ROOT / "docs" / "permissions.md").read_text()
    client.force_login(hotel_a.owner)
    team_page = client.get("/settings/team/").content.decode()
    for action in permissions.matrix():
        assert f"`{action.key}`" in documentation, f"docs/permissions.md misses {action.key}"
        assert str(action.label).replace("'", "&#x27;") in team_page, action.key


def test_the_journey_page_is_the_templates_permission() -> None:
    """Timing and switching the automatic messages is editing them: owners only."""
    from messaging.journey_views import journey_page

    assert permissions.action_of(journey_page) is permissions.EDIT_TEMPLATES
    assert reverse("journey") == "/settings/journey/"


def test_the_team_page_says_what_staff_may_not_do(client: Client, hotel_a) -> None:
    client.force_login(hotel_a.owner)
    page = client.get("/settings/team/").content.decode()
    assert "only you change the settings" not in page
    matrix = page.split('id="roles-title"', 1)[1].split("</table>", 1)[0]
    rows = matrix.split("<tr>")[2:]  # past the header row
    staff_column = {row.split("</th>")[0].rsplit(">", 1)[-1]: row.split("<td>")[2] for row in rows}
    assert "Yes" in staff_column["Write to guests and send them a template by hand"]
    assert (
        "No" in staff_column["Edit message templates and switch their automatic sending on or off"]
    )
    assert "No" in staff_column["Cancel a scheduled automated message"]
    assert "Yes" in staff_column["See automated messages and retry one that failed"]


@pytest.mark.parametrize("route", ROUTES, ids=[route.name or route.route for route in ROUTES])
def test_every_url_answers_each_visitor_as_the_matrix_says(route: Route, world: World) -> None:
    if permissions.declared(route.view) is None or (route.parameters and route.name not in PARAMS):
        pytest.skip("undeclared: the two tests above say what to add")
    url = reverse(route.name, kwargs=PARAMS[route.name](world) if route.parameters else None)
    visitors = {
        "anonymous": Client(),
        "other_owner": Client(),
        "staff": Client(),
        "owner": Client(),
    }
    visitors["other_owner"].force_login(world.b.owner)
    visitors["staff"].force_login(world.a.staff)
    visitors["owner"].force_login(world.a.owner)
    # GETs first, then POSTs, the owner last: a POST may change what the next visitor finds.
    answers = []
    for method in ("get", "post"):
        for who, client in visitors.items():
            response = getattr(client, method)(url)
            answers.append((method, who, response))
    for method, who, response in answers:
        code = response.status_code
        assert code < 500, f"{method.upper()} {url} as {who}: {code}, a server error"
        expected = _expected(route, who, method)
        assert code in expected, f"{method.upper()} {url} as {who}: {code}, not {sorted(expected)}"
        if expected == {302}:
            assert response["Location"].startswith("/login/"), (who, url, response["Location"])
        if code == 403 and who == "staff":
            assert "Owners only" in response.content.decode(), url
