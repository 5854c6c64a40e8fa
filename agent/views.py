"""/settings/menu/ and /settings/knowledge/: what the concierge sells and knows.

Everyone of the hotel reads them (staff answer guests from the same facts); owners change them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agent import menu, services
from agent.forms import KnowledgeEntryForm, MenuItemForm, TryQuestionForm
from agent.models import KnowledgeEntry, MenuCategory, MenuItem
from agent.permissions import EDIT_CONCIERGE, SEE_CONCIERGE
from tenancy.access import (
    MemberRequest,
    get_for_owner,
    tenant_queryset,
)
from tenancy.models import Role
from tenancy.permissions import requires

# --- menu ----------------------------------------------------------------------------------------


def _menu_context(request: MemberRequest, form: MenuItemForm | None = None) -> dict[str, Any]:
    currency = menu.hotel_currency(request.tenant)
    language = get_language() or "en"
    items = list(tenant_queryset(request, MenuItem).order_by("category", "name"))
    labels = dict(MenuCategory.choices)
    return {
        "currency": currency,
        "groups": [
            (
                labels[category],
                [
                    (item, menu.format_money(item.price, currency, language))
                    for item in items
                    if item.category == category
                ],
            )
            for category in MenuCategory.values
            if any(item.category == category for item in items)
        ],
        "form": form or MenuItemForm(tenant=request.tenant, currency=currency),
        "can_edit": request.role == Role.OWNER,
    }


@requires(SEE_CONCIERGE)
@require_GET
def menu_page(request: MemberRequest) -> HttpResponse:
    """The menu: staff read it, owners change it (add_menu_item and the item pages)."""
    return render(request, "agent/menu.html", _menu_context(request))


@requires(EDIT_CONCIERGE)
@require_POST
def add_menu_item(request: MemberRequest) -> HttpResponse:
    form = MenuItemForm(
        request.POST, tenant=request.tenant, currency=menu.hotel_currency(request.tenant)
    )
    if not form.is_valid():
        return render(request, "agent/menu.html", _menu_context(request, form), status=400)
    item = form.save(commit=False)
    item.tenant = request.tenant
    item.save()
    messages.success(request, _("%(name)s was added to the menu.") % {"name": item.name})
    return redirect("agent:menu")


@requires(EDIT_CONCIERGE)
def menu_item(request: MemberRequest, public_id: str) -> HttpResponse:
    item = get_for_owner(request, MenuItem, public_id=public_id)
    currency = menu.hotel_currency(request.tenant)
    form = MenuItemForm(
        request.POST or None, instance=item, tenant=request.tenant, currency=currency
    )
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("%(name)s was saved.") % {"name": item.name})
            return redirect("agent:menu")
        return render(request, "agent/menu_item.html", {"form": form, "item": item}, status=400)
    return render(request, "agent/menu_item.html", {"form": form, "item": item})


@requires(EDIT_CONCIERGE)
@require_POST
def delete_menu_item(request: MemberRequest, public_id: str) -> HttpResponse:
    item = get_for_owner(request, MenuItem, public_id=public_id)
    item.delete()
    messages.success(request, _("%(name)s was removed from the menu.") % {"name": item.name})
    return redirect("agent:menu")


# --- knowledge -----------------------------------------------------------------------------------


def _knowledge_context(
    request: MemberRequest, form: KnowledgeEntryForm | None = None
) -> dict[str, Any]:
    entries = list(tenant_queryset(request, KnowledgeEntry).order_by("topic", "language", "pk"))
    return {
        "entries": entries,
        "form": form or KnowledgeEntryForm(initial={"language": request.tenant.default_language}),
        "try_form": TryQuestionForm(),
        "can_edit": request.role == Role.OWNER,
    }


@requires(SEE_CONCIERGE)
@require_GET
def knowledge_page(request: MemberRequest) -> HttpResponse:
    """The knowledge base: staff read it, owners change it."""
    return render(request, "agent/knowledge.html", _knowledge_context(request))


@requires(EDIT_CONCIERGE)
@require_POST
def add_knowledge_entry(request: MemberRequest) -> HttpResponse:
    form = KnowledgeEntryForm(request.POST)
    if not form.is_valid():
        return render(
            request, "agent/knowledge.html", _knowledge_context(request, form), status=400
        )
    entry = form.save(commit=False)
    entry.tenant = request.tenant
    services.save_knowledge_entry(entry)
    messages.success(request, _("The answer was added."))
    return redirect("agent:knowledge")


@requires(EDIT_CONCIERGE)
def knowledge_entry(request: MemberRequest, public_id: str) -> HttpResponse:
    entry = get_for_owner(request, KnowledgeEntry, public_id=public_id)
    form = KnowledgeEntryForm(request.POST or None, instance=entry)
    if request.method == "POST":
        if form.is_valid():
            services.save_knowledge_entry(form.save(commit=False))
            messages.success(request, _("The answer was saved."))
            return redirect("agent:knowledge")
        return render(
            request, "agent/knowledge_entry.html", {"form": form, "entry": entry}, status=400
        )
    return render(request, "agent/knowledge_entry.html", {"form": form, "entry": entry})


@requires(EDIT_CONCIERGE)
@require_POST
def delete_knowledge_entry(request: MemberRequest, public_id: str) -> HttpResponse:
    entry = get_for_owner(request, KnowledgeEntry, public_id=public_id)
    entry.delete()
    messages.success(request, _("The answer was deleted."))
    return redirect("agent:knowledge")


@requires(SEE_CONCIERGE)
@require_POST
def try_question(request: MemberRequest) -> HttpResponse:
    """HTMX: what the concierge would answer this question, or that it would ask staff."""
    form = TryQuestionForm(request.POST)
    if not form.is_valid():
        return render(request, "agent/partials/try_result.html", {"form": form}, status=400)
    found = services.try_question(
        request.tenant, form.cleaned_data["question"], get_language() or "en"
    )
    return render(request, "agent/partials/try_result.html", {"form": form, "found": found})
