"""Templates settings with live preview, manual send, and the message log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotel.models import Guest, Reservation
from innbox.redirects import back_to
from innbox.search import search_text
from messaging import formatting, renderer, send_input, services
from messaging.forms import NewVariantForm, VariantForm
from messaging.models import (
    MessageLog,
    MessageOrigin,
    MessageStatus,
    MessageTemplate,
    MessageTemplateVariant,
    Trigger,
)
from tenancy.access import MemberRequest, get_for_member, tenant_queryset
from tenancy.permissions import EDIT_TEMPLATES, MESSAGE_GUESTS, SEE_HOTEL, requires

PAGE_SIZE = 50


# --- templates -------------------------------------------------------------------------------


def _trigger(value: str | None) -> str:
    return value if value in Trigger.values else Trigger.PRE_ARRIVAL


@requires(EDIT_TEMPLATES)
def templates_page(request: MemberRequest) -> HttpResponse:
    trigger = _trigger(request.GET.get("trigger"))
    # The stored name is data, not screen text: in English, whoever opens the page first.
    with translation.override("en"):
        name = str(Trigger(trigger).label)
    template, _created = MessageTemplate.objects.get_or_create(
        tenant=request.tenant, trigger=trigger, defaults={"name": name}
    )
    return render(request, "messaging/templates.html", _templates_context(request, template))


def _templates_context(
    request: MemberRequest,
    template: MessageTemplate,
    *,
    forms: dict[int, VariantForm] | None = None,
    new_form: NewVariantForm | None = None,
) -> dict[str, Any]:
    variants = list(template.variants.order_by("language_code"))
    forms = forms or {}
    return {
        "template": template,
        "triggers": Trigger.choices,
        "rows": [
            (
                variant,
                forms.get(variant.pk) or VariantForm(instance=variant, trigger=template.trigger),
            )
            for variant in variants
        ],
        "new_form": new_form or NewVariantForm(template=template, trigger=template.trigger),
        "sample_reservations": _preview_reservations(request),
        "variables": renderer.allowed_for(template.trigger),
    }


def _preview_reservations(request: MemberRequest) -> list[Reservation]:
    return list(
        tenant_queryset(request, Reservation).select_related("guest").order_by("-check_in")[:20]
    )


@requires(EDIT_TEMPLATES)
@require_POST
def save_variant(request: MemberRequest, public_id: str) -> HttpResponse:
    variant = get_for_member(
        request, MessageTemplateVariant.objects.select_related("template"), public_id=public_id
    )
    form = VariantForm(request.POST, instance=variant, trigger=variant.template.trigger)
    if form.is_valid():
        form.save()
        messages.success(
            request, _("The %(language)s text was saved.") % {"language": variant.language_code}
        )
        return redirect(f"/settings/templates/?trigger={variant.template.trigger}")
    return render(
        request,
        "messaging/templates.html",
        _templates_context(request, variant.template, forms={variant.pk: form}),
        status=400,
    )


@requires(EDIT_TEMPLATES)
@require_POST
def add_variant(request: MemberRequest, public_id: str) -> HttpResponse:
    template = get_for_member(request, MessageTemplate, public_id=public_id)
    form = NewVariantForm(request.POST, template=template, trigger=template.trigger)
    if form.is_valid():
        variant = form.save(commit=False)
        variant.template = template
        variant.save()
        messages.success(
            request, _("Added the %(language)s text.") % {"language": variant.language_code}
        )
        return redirect(f"/settings/templates/?trigger={template.trigger}")
    return render(
        request,
        "messaging/templates.html",
        _templates_context(request, template, new_form=form),
        status=400,
    )


@requires(EDIT_TEMPLATES)
@require_POST
def delete_variant(request: MemberRequest, public_id: str) -> HttpResponse:
    variant = get_for_member(
        request, MessageTemplateVariant.objects.select_related("template"), public_id=public_id
    )
    trigger = variant.template.trigger
    variant.delete()
    messages.success(
        request, _("Deleted the %(language)s text.") % {"language": variant.language_code}
    )
    return redirect(f"/settings/templates/?trigger={trigger}")


@requires(EDIT_TEMPLATES)
@require_POST
def toggle_template(request: MemberRequest, public_id: str) -> HttpResponse:
    template = get_for_member(request, MessageTemplate, public_id=public_id)
    template.is_active = not template.is_active
    template.save(update_fields=["is_active", "updated_at"])
    if template.is_active:
        text = _("%(template)s: automatic sending is on.")
    else:
        text = _("%(template)s: automatic sending is off.")
    messages.success(request, text % {"template": template.name})
    return redirect(f"/settings/templates/?trigger={template.trigger}")


@requires(EDIT_TEMPLATES)
@require_POST
def preview_variant(request: MemberRequest) -> HttpResponse:
    """The text being typed, rendered for a real or a sample reservation (HTMX partial)."""
    trigger = _trigger(request.POST.get("trigger"))
    content = request.POST.get("content", "")
    language = request.POST.get("language", "") or request.tenant.default_language
    reservation = _reservation_or_sample(request, request.POST.get("reservation", ""))
    try:
        renderer.validate(content, trigger)
        error = ""
    except renderer.TemplateError as problem:
        error = str(problem)
    text = renderer.render(
        content, services.values_for(request.tenant, reservation, None, language, content=content)
    )
    if text.strip():
        # What the guest receives: automated sends end with the hotel's opt-out line.
        text = services.with_opt_out_line(request.tenant, text, language)
    return render(
        request,
        "messaging/partials/preview.html",
        {"text": text, "html": formatting.to_html(text), "error": error},
    )


def _reservation_or_sample(request: MemberRequest, public_id: str) -> Reservation:
    if not public_id:
        return services.SAMPLE_RESERVATION
    return get_for_member(request, Reservation.objects.select_related("guest"), public_id=public_id)


# --- manual send -----------------------------------------------------------------------------


def _target(
    request: MemberRequest, asked: send_input.SendRequest
) -> tuple[Reservation | None, Guest | None]:
    if asked.reservation:
        reservation = get_for_member(
            request, Reservation.objects.select_related("guest"), public_id=asked.reservation
        )
        return reservation, reservation.guest
    return None, get_for_member(request, Guest, public_id=asked.guest)


def _malformed(problem: send_input.BadSendRequest) -> JsonResponse:
    return JsonResponse({"error": str(problem)}, status=400)


@requires(MESSAGE_GUESTS)
@require_POST
def preview_message(request: MemberRequest) -> HttpResponse:
    try:
        asked = send_input.read(request)
    except send_input.BadSendRequest as problem:
        return render(request, "messaging/partials/preview.html", {"error": str(problem)})
    reservation, guest = _target(request, asked)
    try:
        composed = services.compose(
            request.tenant,
            reservation=reservation,
            guest=guest,
            trigger=asked.trigger,
            free_text=asked.text,
        )
    except (services.NothingToSend, renderer.TemplateError) as problem:
        return render(request, "messaging/partials/preview.html", {"error": str(problem)})
    return render(
        request,
        "messaging/partials/preview.html",
        {
            "text": composed.text,
            "html": formatting.to_html(composed.text),
            "language": composed.language,
        },
    )


@requires(MESSAGE_GUESTS)
@require_POST
def send_message(request: MemberRequest) -> HttpResponse:
    """From the send dialog (a form; back to `next` with a notice) or an API caller (a form with
    `Accept: application/json`, or a JSON body; JSON answers). A malformed request is a 400
    naming the problem either way: the dialog never sends one."""
    try:
        asked = send_input.read(request)
    except send_input.BadSendRequest as problem:
        return _malformed(problem)
    reservation, guest = _target(request, asked)
    wants_json = send_input.is_json(request) or "application/json" in request.headers.get(
        "Accept", ""
    )
    try:
        message = services.send_manual(
            request.tenant,
            reservation=reservation,
            guest=guest,
            trigger=asked.trigger,
            free_text=asked.text,
            author=request.user if request.user.is_authenticated else None,
        )
    except (services.NothingToSend, renderer.TemplateError) as problem:
        if wants_json:  # API answers stay English, whatever the caller's screen language
            with translation.override("en"):
                return JsonResponse({"error": str(problem)}, status=400)
        messages.error(request, str(problem))
        return _back(request)
    if wants_json:
        return JsonResponse(
            {
                "id": str(message.public_id),
                "status": message.status,
                "job": str(message.job.public_id) if message.job else None,
                "language": message.language_code,
            },
            status=202,
        )
    messages.success(
        request,
        _("Message queued: it goes out in a moment. Its delivery shows in the message log."),
    )
    return _back(request)


def _back(request: MemberRequest) -> HttpResponse:
    return back_to(request, "next", "messages")


# --- the message log -------------------------------------------------------------------------


@requires(SEE_HOTEL)
def message_log(request: MemberRequest) -> HttpResponse:
    entries = tenant_queryset(request, MessageLog).select_related("guest", "reservation")
    status = request.GET.get("status", "")
    origin = request.GET.get("origin", "")
    query = search_text(request.GET)
    if status in MessageStatus.values:
        entries = entries.filter(status=status)
    if origin == "inbound":
        entries = entries.filter(direction="inbound")
    elif origin in MessageOrigin.values:
        entries = entries.filter(origin=origin)
    for word in query.split()[:5]:  # every word must match somewhere: "Ana Wijaya" works
        entries = entries.filter(
            Q(guest__first_name__icontains=word)
            | Q(guest__last_name__icontains=word)
            | Q(guest__phone_e164__icontains=word)
            | Q(reservation__booking_code__iexact=word)
        )
    page = Paginator(entries.order_by("-created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/log.html",
        {
            "page": page,
            "statuses": MessageStatus.choices,
            "origins": [("inbound", _("From guests")), *MessageOrigin.choices],
            "filters": {"status": status, "origin": origin, "q": query},
        },
    )
