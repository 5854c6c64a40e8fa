"""Who may do what: one matrix of roles and actions, declared on every view, enforced here.

Every URL's view carries exactly one declaration (tests/test_permission_matrix.py walks the URL
resolver and fails on a view without one):

    @requires(EDIT_TEMPLATES)      a hotel's action: owners only or everyone of the hotel, as the
                                   action says; staff on an owners' action get the "Owners only"
                                   page (403), anonymous visitors the login page
    @signed_in                     any logged-in account, with or without a hotel (onboarding)
    @public                        no login: the view checks its own token, signature or secret
                                   (webhooks, invitation and feedback links) or shows a public
                                   form (login, signup)

The actions below are the matrix: docs/permissions.md explains it and the Team page shows it, both
from this list. Another app adds its own action with `Action(...)` next to its views; the action
registers itself, so the Team page lists it too.

Why two roles and no "manager": Innbox serves small hotels where the owner (or the one manager
who holds the owner's login) sets things up and the front desk does the daily work; the database
wall (tenancy.rls) already splits settings tables (owners write) from operational ones (everyone
writes), and a middle role would need a third policy on every settings table. Templates and
journeys are the only candidates for a middle ground today; when a hotel needs one, it is a new
Role, a column here, and the role in the settings policies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenancy.access import TenantRequest
from tenancy.models import Role

View = Callable[..., HttpResponse]
AnyView = TypeVar("AnyView", bound=Callable[..., Any])
ATTRIBUTE = "innbox_access"


class Access(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    MEMBERS = "members"  # owners and staff of the hotel
    OWNERS = "owners"


@dataclass(frozen=True)
class Action:
    """One row of the matrix: what a person does, in their words, and who may."""

    key: str
    label: str | Promise
    owners_only: bool
    roles: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        roles = (Role.OWNER.value,) if self.owners_only else (Role.OWNER.value, Role.STAFF.value)
        object.__setattr__(self, "roles", roles)
        _register(self)

    @property
    def access(self) -> Access:
        return Access.OWNERS if self.owners_only else Access.MEMBERS

    def allows(self, role: str | None) -> bool:
        return role in self.roles


ACTIONS: dict[str, Action] = {}


def _register(action: Action) -> None:
    known = ACTIONS.get(action.key)
    if known is not None and known != action:
        raise ValueError(f"two permission actions are called {action.key!r}")
    ACTIONS[action.key] = action


def allowed_keys(role: str | None) -> frozenset[str]:
    """The keys of the actions `role` may do: templates show a button only where it works."""
    return frozenset(key for key, action in ACTIONS.items() if action.allows(role))


def matrix() -> list[Action]:
    """Everyone's actions first, then the owners', each in the order they were declared."""
    return sorted(ACTIONS.values(), key=lambda action: action.owners_only)


# --- the matrix ------------------------------------------------------------------------------
# Daily work: everyone of the hotel.
SEE_HOTEL = Action(
    "see_hotel",
    _("See the dashboard, guests, reservations, the message log and feedback"),
    owners_only=False,
)
MESSAGE_GUESTS = Action(
    "message_guests", _("Write to guests and send them a template by hand"), owners_only=False
)
RETRY_AUTOMATION = Action(
    "retry_automation",
    _("See automated messages and retry one that failed"),
    owners_only=False,
)
SYNC_PMS = Action("sync_pms", _("Sync reservations from the PMS now"), owners_only=False)
SEE_WHATSAPP_STATUS = Action(
    "see_whatsapp_status", _("See whether WhatsApp is connected"), owners_only=False
)
# Settings and anything that changes what Innbox does on its own: owners only.
CANCEL_AUTOMATION = Action(
    "cancel_automation", _("Cancel a scheduled automated message"), owners_only=True
)
EDIT_TEMPLATES = Action(
    "edit_templates",
    _("Edit message templates and switch their automatic sending on or off"),
    owners_only=True,
)
CONNECT_WHATSAPP = Action(
    "connect_whatsapp",
    _("Connect or disconnect WhatsApp and set its sending pace"),
    owners_only=True,
)
CONNECT_PMS = Action(
    "connect_pms",
    _("Connect the PMS, change its credentials and its webhook secret"),
    owners_only=True,
)
EDIT_HOTEL = Action(
    "edit_hotel", _("Change the hotel's name, time zone, language and rooms"), owners_only=True
)
MANAGE_TEAM = Action("manage_team", _("Invite and remove team members"), owners_only=True)
READ_AUDIT_LOG = Action("read_audit_log", _("Read the audit log"), owners_only=True)


# --- declarations ----------------------------------------------------------------------------


def declared(view: Any) -> Access | None:
    return getattr(view, ATTRIBUTE, None)


def action_of(view: Any) -> Action | None:
    return getattr(view, ATTRIBUTE + "_action", None)


def _declare(view: AnyView, access: Access, action: Action | None = None) -> AnyView:
    setattr(view, ATTRIBUTE, access)
    setattr(view, ATTRIBUTE + "_action", action)
    return view


def public(view: AnyView) -> AnyView:
    """No login needed; the view itself decides (a token, a signature, a public form)."""
    return _declare(view, Access.PUBLIC)


def signed_in(view: View) -> View:
    """Any logged-in account, with or without a hotel."""
    return _declare(login_required(view), Access.SIGNED_IN)


def requires(action: Action) -> Callable[[View], View]:
    """A hotel's action: login, a hotel (else onboarding), and a role the action allows.

    Put it outermost (under cache decorators at most), above require_POST: a staff member's GET
    on an owners' form answers "Owners only", not "method not allowed".
    """

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.tenant is None:
                return redirect("onboarding")
            if not action.allows(request.role):
                return owners_only(request, action)
            return view(request, *args, **kwargs)

        return _declare(wrapper, action.access, action)

    return decorate


def owners_only(request: TenantRequest, action: Action) -> HttpResponse:
    """A staff member followed an owner's link: say so (403), instead of a page not found."""
    return render(request, "tenancy/owners_only.html", {"action": action}, status=403)
