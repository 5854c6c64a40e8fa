"""The user menu's own settings: the language of Innbox's screens."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST

from innbox.redirects import back_to
from tenancy.access import TenantRequest
from tenancy.forms import LanguageForm
from tenancy.models import User
from tenancy.permissions import signed_in


@signed_in
@require_POST
def set_language(request: TenantRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown language")
    user: User = request.user  # type: ignore[assignment]  # login_required: never anonymous
    user.ui_language = form.cleaned_data["ui_language"]
    user.save(update_fields=["ui_language"])
    # No toast: the page coming back in the new language says it was saved.
    return back_to(request, "next", "dashboard:home")
