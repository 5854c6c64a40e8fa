"""A logged-in user without a hotel: create one (and own it), or wait for an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from innbox.logs import ErrorCategory, get_logger
from tenancy.access import TenantRequest
from tenancy.forms import HotelForm
from tenancy.services import create_tenant_with_owner, set_up_new_hotel

log = get_logger(__name__)


@login_required
def onboarding(request: TenantRequest) -> HttpResponse:
    if request.tenant is not None:
        return redirect("dashboard:home")
    return render(request, "tenancy/onboarding.html", {"invited": request.GET.get("invited")})


@login_required
def create_tenant(request: TenantRequest) -> HttpResponse:
    if request.tenant is not None:
        # Staff and owners alike: one account, one hotel.
        messages.error(
            request,
            _("Your account already belongs to %(hotel)s.") % {"hotel": request.tenant.name},
        )
        return redirect("dashboard:home")
    form = HotelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = create_tenant_with_owner(
                request.user,  # type: ignore[arg-type]  # login_required: never anonymous
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                default_language=form.cleaned_data["default_language"],
                room_count=form.cleaned_data["room_count"],
            )
        except IntegrityError:  # another tab created a hotel first; the database refused
            log.info("second_tenant_refused", error_category=ErrorCategory.VALIDATION)
            messages.error(request, _("Your account already belongs to a hotel."))
            return redirect("dashboard:home")
        set_up_new_hotel(tenant)
        log.info("tenant_created", tenant_id=str(tenant.id))
        messages.success(
            request, _("%(hotel)s is ready. Welcome to Innbox!") % {"hotel": tenant.name}
        )
        return redirect("dashboard:home")
    return render(request, "tenancy/create_tenant.html", {"form": form})
