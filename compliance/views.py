"""A guest's personal data from their page: the owner's export (readable page, JSON download)
and erasure, and the consent entries staff record. Thin: the work is in export, anonymise and
consent_entry."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from compliance import anonymise, consent_entry, export, labels
from compliance.forms import ConsentEntryForm, ErasureForm
from compliance.models import DataRequest, RequestKind
from compliance.permissions import (
    CONSENT_OVERRIDDEN,
    GUEST_ERASED,
    GUEST_EXPORTED,
    MANAGE_PERSONAL_DATA,
    RECORD_CONSENT,
)
from hotel.models import ConsentChange, Guest, ReservationStatus
from tenancy import audit
from tenancy.access import MemberRequest, get_for_member
from tenancy.permissions import requires


def _guest(request: MemberRequest, public_id: str) -> Guest:
    return get_for_member(request, Guest, public_id=public_id)


def _record_export(request: MemberRequest, guest: Guest, form: str) -> None:
    audit.record(request, GUEST_EXPORTED, guest, {"format": form}, about=str(guest.public_id))
    DataRequest.objects.create(
        tenant=request.tenant,
        kind=RequestKind.EXPORT,
        guest=guest,
        requested_by=request.user,
        details={"format": form},
    )


@requires(MANAGE_PERSONAL_DATA)
def guest_data(request: MemberRequest, public_id: str) -> HttpResponse:
    """Everything held about the guest, as a page to read, print or save."""
    guest = _guest(request, public_id)  # first: another hotel's guest is a 404 to any method
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    zone = ZoneInfo(request.tenant.time_zone)
    shown = []
    for section in export.sections(request.tenant, guest):
        headings = [labels.field_label(section.name, f) for f in section.fields]
        rows = [[export.readable(row, f, zone) for f in section.fields] for row in section.objects]
        shown.append(
            {
                "name": section.name,
                "title": labels.section_label(section.name),
                "headings": headings,
                "rows": rows,
                # The guest's own row reads better as a list of facts than as a wide table.
                "facts": list(zip(headings, rows[0], strict=True))
                if section.name == "guest" and rows
                else [],
            }
        )
    _record_export(request, guest, "html")
    return render(request, "compliance/guest_data.html", {"guest": guest, "sections": shown})


@requires(MANAGE_PERSONAL_DATA)
def guest_data_json(request: MemberRequest, public_id: str) -> HttpResponse:
    guest = _guest(request, public_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    document = export.as_json(request.tenant, guest)
    _record_export(request, guest, "json")
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="guest-{guest.public_id}.json"'
    return response


@requires(MANAGE_PERSONAL_DATA)
@require_http_methods(["GET", "POST"])
def erase(request: MemberRequest, public_id: str) -> HttpResponse:
    """GET: what an erasure would remove, and a warning for a guest in house. POST: erase, once
    confirmed (twice for a guest in house)."""
    guest = _guest(request, public_id)
    if guest.anonymised_at is not None:
        messages.info(request, _("This guest's personal data was erased already."))
        return render(request, "compliance/erase.html", {"guest": guest, "done": True}, status=409)
    in_house = guest.reservations.filter(status=ReservationStatus.ON_STAY).exists()
    form = ErasureForm(request.POST if request.method == "POST" else None, in_house=in_house)
    if request.method == "POST" and form.is_valid():
        audit.record(request, GUEST_ERASED, guest, about=str(guest.public_id))
        anonymise.erase_guest(request.tenant, guest, by=request.user)
        messages.success(request, _("The guest's personal data was erased."))
        return redirect("dashboard:guest", public_id=guest.public_id)
    counts = anonymise.would_erase(request.tenant, guest)
    return render(
        request,
        "compliance/erase.html",
        {
            "guest": guest,
            "form": form,
            "in_house": in_house,
            "tables": [(labels.section_label(name), n) for name, n in counts.items()],
        },
        status=400 if request.method == "POST" else 200,
    )


@requires(RECORD_CONSENT)
@require_POST
def record_consent(request: MemberRequest, public_id: str) -> HttpResponse:
    """A staff entry from the guest page; back there with a notice, or a 4xx page saying why
    nothing was recorded."""
    guest = _guest(request, public_id)
    form = ConsentEntryForm(request.POST)
    if not form.is_valid():
        return render(
            request, "compliance/consent_refused.html", {"guest": guest, "form": form}, status=400
        )
    try:
        consent_entry.record(
            guest,
            ConsentChange(form.cleaned_data["change"]),
            by=request.user,
            role=request.role,
            text_shown=form.cleaned_data["text_shown"],
            note=form.cleaned_data["note"],
        )
    except consent_entry.NotRecorded as refusal:
        return render(
            request,
            "compliance/consent_refused.html",
            {"guest": guest, "reason": str(refusal)},
            status=409,
        )
    audit.record(
        request,
        CONSENT_OVERRIDDEN,
        guest,
        {"change": form.cleaned_data["change"]},
        about=str(guest.public_id),
    )
    messages.success(request, _("Recorded in the guest's consent history."))
    return redirect("dashboard:guest", public_id=guest.public_id)
