"""/settings/hotel/: the owner edits what Innbox knows about the hotel itself, and how long it
keeps guests' personal data."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tenancy.access import MemberRequest
from tenancy.forms import HotelForm, PersonalDataForm
from tenancy.models import Tenant
from tenancy.permissions import EDIT_HOTEL, requires

EDITABLE_FIELDS = ["name", "time_zone", "default_language", "room_count"]
PERSONAL_DATA_FIELDS = ["retention_months", "opt_out_line", "opt_out_words"]
SECTIONS = {"hotel", "personal-data"}


@requires(EDIT_HOTEL)
def hotel_settings(request: MemberRequest) -> HttpResponse:
    """Two forms on one page; a POST names its `section` (the hotel's details by default)."""
    tenant = request.tenant
    section = request.POST.get("section", "hotel") if request.method == "POST" else ""
    if section and section not in SECTIONS:
        return HttpResponse(status=400)
    form = HotelForm(
        request.POST if section == "hotel" else None,
        initial={field: getattr(tenant, field) for field in EDITABLE_FIELDS},
    )
    # Not the first field of a settings page: focus stays where the person put it.
    form.fields["name"].widget.attrs.pop("autofocus", None)
    data_form = PersonalDataForm(
        request.POST if section == "personal-data" else None,
        initial={field: getattr(tenant, field) for field in PERSONAL_DATA_FIELDS},
    )
    if section == "hotel" and form.is_valid():
        _save(tenant, EDITABLE_FIELDS, form.cleaned_data)
        messages.success(request, _("Hotel details saved."))
        return redirect("hotel_settings")
    if section == "personal-data":
        if data_form.is_valid():
            _save(tenant, PERSONAL_DATA_FIELDS, data_form.cleaned_data)
            messages.success(request, _("Personal data settings saved."))
            return redirect("hotel_settings")
        status = 400
    else:
        status = 200
    return render(
        request, "tenancy/hotel.html", {"form": form, "data_form": data_form}, status=status
    )


def _save(tenant: Tenant, fields: list[str], values: dict[str, object]) -> None:
    for field in fields:
        setattr(tenant, field, values[field])
    tenant.save(update_fields=[*fields, "updated_at"])
