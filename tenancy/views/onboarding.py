"""A logged-in user without a hotel: create one (and own it), or wait for an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from innbox.logs import ErrorCategory, get_logger
from tenancy import verification
from tenancy.access import TenantRequest
from tenancy.forms import HotelForm
from tenancy.permissions import signed_in
from tenancy.services import create_tenant_with_owner, set_up_new_hotel

log = get_logger(__name__)


@signed_in
def onboarding(request: TenantRequest) -> HttpResponse:
    if request.tenant is not None:
        return redirect("dashboard:home")
    unverified = verification.unverified_redirect(request)
    if unverified is not None:
        return unverified
    return render(request, "tenancy/onboarding.html", {"invited": request.GET.get("invited")})


@signed_in
def create_tenant(request: TenantRequest) -> HttpResponse:
    unverified = verification.unverified_redirect(request)
    if unverified is not None:
        return unverified
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
