"""The WhatsApp settings page, its JSON/HTMX endpoints, and WAHA's webhook."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import ValidationError

from automation.events import ConcurrentChange
from innbox import json_input
from innbox.i18n import TranslatedError
from innbox.integrations import IntegrationError
from innbox.logs import ErrorCategory, get_logger
from tenancy.access import MemberRequest, member_required, owner_required
from whatsapp import click_to_chat, inbound, pacing, sessions, webhooks
from whatsapp.models import WahaConfiguration
from whatsapp.schemas import Envelope

log = get_logger(__name__)
# Far above what a careful hotel needs; a typo of 600 must not unleash a ban.
MAX_SENDS_PER_MINUTE = 30


# --- the settings page -----------------------------------------------------------------------


class SendingPaceForm(forms.ModelForm):
    sends_per_minute = forms.IntegerField(
        label=_("Messages per minute"),
        min_value=1,
        max_value=MAX_SENDS_PER_MINUTE,
        help_text=_(
            "Automated and manual messages together. Above it they wait their turn; none is "
            "dropped. WhatsApp bans numbers that send in bursts, so keep it low."
        ),
    )

    class Meta:
        model = WahaConfiguration
        fields = ["sends_per_minute"]


@member_required
def waha_settings(request: MemberRequest) -> HttpResponse:
    context = _status_context(request, refresh=True)
    config = context["config"]
    if config is not None:
        context["pace_form"] = SendingPaceForm(
            instance=config,
            initial={"sends_per_minute": config.sends_per_minute or pacing.default_pace()},
        )
    context["default_pace"] = pacing.default_pace()
    return render(request, "whatsapp/settings.html", context)


@owner_required
@require_POST
def save_sending_pace(request: MemberRequest) -> HttpResponse:
    config = sessions.configuration_for(request.tenant)
    if config is None:
        messages.error(request, _("Connect WhatsApp first; then you can set its sending pace."))
        return redirect("waha_settings")
    form = SendingPaceForm(request.POST, instance=config)
    if not form.is_valid():
        context = _status_context(request)
        context.update(pace_form=form, default_pace=pacing.default_pace())
        return render(request, "whatsapp/settings.html", context, status=400)
    # Only this field: the row also carries session state that webhooks and senders update.
    config = form.save(commit=False)
    config.save(update_fields=["sends_per_minute", "updated_at"])
    messages.success(
        request,
        _("Sending pace saved: at most %(pace)d messages per minute.")
        % {"pace": config.sends_per_minute},
    )
    return redirect("waha_settings")


@never_cache
@member_required
@require_GET
def api_status(request: MemberRequest) -> HttpResponse:
    return _status_response(request, _status_context(request, refresh=True))


@owner_required
@require_POST
def api_start(request: MemberRequest) -> HttpResponse:
    try:
        sessions.connect(request.tenant)
    except sessions.SessionTaken as taken:
        return _status_response(request, _status_context(request, problem=str(taken)), status=409)
    except sessions.Sandbox as sandbox:
        return _status_response(request, _status_context(request, problem=str(sandbox)), status=409)
    except IntegrationError as exc:
        _log_integration_error("whatsapp_connect_failed", exc)
        return _status_response(request, _status_context(request, problem=exc.message), status=502)
    return _status_response(request, _status_context(request))


@never_cache
@owner_required
@require_GET
def api_qr(request: MemberRequest) -> HttpResponse:
    try:
        png = sessions.qr_png(request.tenant)
    except (IntegrationError, sessions.Sandbox) as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    return HttpResponse(png, content_type="image/png")


@owner_required
@require_POST
def api_logout(request: MemberRequest) -> HttpResponse:
    try:
        sessions.disconnect(request.tenant)
    except sessions.Sandbox as sandbox:
        # Nothing to reach, as for Connect: not a failing gateway.
        return _status_response(request, _status_context(request, problem=str(sandbox)), status=409)
    except IntegrationError as exc:
        return _status_response(request, _status_context(request, problem=str(exc)), status=502)
    return _status_response(request, _status_context(request))


def _status_context(
    request: MemberRequest, *, refresh: bool = False, problem: str | TranslatedError = ""
) -> dict[str, Any]:
    config: WahaConfiguration | None = sessions.configuration_for(request.tenant)
    if refresh and config is not None and not problem:
        try:
            config = sessions.refresh(request.tenant)
        except IntegrationError as exc:
            # Translated where shown: the page in the person's language, the JSON answer in English.
            problem = TranslatedError(
                gettext_noop("The WhatsApp server did not answer: %(error)s"), error=exc.message
            )
        except sessions.Sandbox:
            pass
    health = config.health if config else "disconnected"
    context: dict[str, Any] = {
        "config": config,
        "health": health,
        "problem": problem,
        "sandbox": sessions.is_sandbox(),
        "single_session": not sessions.multi_session(),
    }
    if config is not None and health in ("connected", "degraded") and config.phone_number:
        context["click_to_chat"] = _click_to_chat(config.phone_number, request.tenant.name)
    return context


def _status_response(
    request: MemberRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        # HTMX swaps only 2xx responses by default; the partial itself says what went wrong.
        return render(request, "whatsapp/partials/status.html", context)
    config = context["config"]
    return JsonResponse(
        {
            "status": context["health"],
            "waha_status": config.status if config else None,
            "session": config.session_name if config else None,
            "phone": config.phone_number if config else "",
            "name": config.push_name if config else "",
            "error": _in_english(context["problem"]) or None,
        },
        status=status,
    )


def _in_english(problem: str | TranslatedError) -> str:
    with translation.override("en"):
        return str(problem)


def _click_to_chat(phone: str, hotel_name: str) -> dict[str, str]:
    """The hotel's general link: it links no stay (each reservation's page has its own)."""
    front_desk = click_to_chat.link(phone, f"Hi {hotel_name}!")
    return {"front_desk": front_desk, "qr_svg": click_to_chat.qr_svg(front_desk)}


def _log_integration_error(event: str, exc: IntegrationError) -> None:
    log.error(
        event,
        error=exc.message,
        error_category=ErrorCategory.RETRYABLE if exc.retryable else ErrorCategory.INTEGRATION,
    )


# --- WAHA's webhook --------------------------------------------------------------------------


@csrf_exempt  # authenticated by WAHA's HMAC instead
@require_POST
def waha_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, parse, route by session, store once, answer. A refusal stores nothing."""
    refusal = webhooks.verify(request)
    if refusal is not None:
        return _refuse_webhook(refusal.status, refusal.reason)
    try:
        envelope = Envelope.model_validate(json_input.load(request.body))
        event = inbound.parse(envelope)
    except (json_input.MalformedJson, inbound.Unacceptable) as problem:
        return _refuse_webhook(400, f"malformed webhook body: {problem}")
    except ValidationError as problem:
        return _refuse_webhook(400, f"malformed webhook body: {json_input.describe(problem)}")
    stale = webhooks.check_envelope_time(envelope.id, envelope.timestamp)
    if stale is not None:
        return _refuse_webhook(stale.status, stale.reason)
    owner = sessions.session_owner(envelope.session)
    if owner is None:
        # Authentic but for no hotel of ours: answered 200 so WAHA does not retry for ever.
        log.info(
            "waha_webhook_unknown_session", session=envelope.session, webhook_event=envelope.event
        )
        return JsonResponse({"status": "ignored: unknown session"})
    try:
        outcome = inbound.handle(
            owner.tenant_id, event, request_id=getattr(request, "request_id", "")
        )
    except inbound.RetryLater as wait:
        # Nothing stored: WAHA retries the webhook (it backs off exponentially).
        log.info("waha_webhook_retry_later", reason=str(wait), webhook_event=envelope.event)
        return JsonResponse({"error": str(wait)}, status=409)
    except ConcurrentChange:
        # Nothing stored: the retry applies the event on top of the other change.
        log.info("waha_webhook_concurrent_change", webhook_event=envelope.event)
        return JsonResponse(
            {"error": "another event changed the same records at the same time; send again"},
            status=409,
        )
    log.info(
        "waha_webhook_accepted",
        webhook_event=envelope.event,
        outcome=outcome,
        tenant_id=str(owner.tenant_id),
    )
    return JsonResponse({"status": outcome})


def _refuse_webhook(status: int, reason: str) -> JsonResponse:
    log.warning("waha_webhook_refused", reason=reason, error_category=ErrorCategory.VALIDATION)
    return JsonResponse({"error": reason}, status=status)
