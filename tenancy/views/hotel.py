"""/settings/hotel/: the owner edits what Innbox knows about the hotel itself."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tenancy.access import MemberRequest
from tenancy.forms import HotelForm
from tenancy.permissions import EDIT_HOTEL, requires

EDITABLE_FIELDS = ["name", "time_zone", "default_language", "room_count"]


@requires(EDIT_HOTEL)
def hotel_settings(request: MemberRequest) -> HttpResponse:
    tenant = request.tenant
    form = HotelForm(
        request.POST or None, initial={field: getattr(tenant, field) for field in EDITABLE_FIELDS}
    )
    # Not the first field of a settings page: focus stays where the person put it.
    form.fields["name"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and form.is_valid():
        for field in EDITABLE_FIELDS:
            setattr(tenant, field, form.cleaned_data[field])
        tenant.save(update_fields=[*EDITABLE_FIELDS, "updated_at"])
        messages.success(request, _("Hotel details saved."))
        return redirect("hotel_settings")
    return render(request, "tenancy/hotel.html", {"form": form})
