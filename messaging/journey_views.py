"""/settings/journey/: each touchpoint of the guest journey, on or off, and when it goes.

On and off is the touchpoint's template switch (the same one as on Templates); the timings are
the hotel's JourneySettings. Both are audited (messaging.audit). Saving moves the messages that
wait for a touchpoint whose timing changed, in the same transaction (messaging.journey).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.forms import BoundField
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from messaging import defaults, journey, timing
from messaging.forms import JourneyForm
from messaging.models import JourneySettings, MessageTemplate, Trigger
from tenancy.access import MemberRequest, tenant_queryset
from tenancy.permissions import EDIT_TEMPLATES, requires

# What each touchpoint is, in the order a guest meets them; its timing fields are the form's.
WHEN = {
    Trigger.BOOKED: gettext_lazy(
        "When a new booking arrives from the PMS, before arrival. Bookings already there when "
        "the PMS is first connected get none."
    ),
    Trigger.PRE_ARRIVAL: gettext_lazy("Days before arrival, at a time on the guest's clock."),
    Trigger.ON_STAY: gettext_lazy("At check-in, or some hours after."),
    Trigger.MID_STAY: gettext_lazy(
        "The morning after the first night, for stays of 2 nights or more. The concierge "
        "answers the guest's reply."
    ),
    Trigger.CHECKOUT: gettext_lazy("The evening before departure, with the checkout time."),
    Trigger.POST_STAY: gettext_lazy(
        "Days after departure, at a time on the guest's clock, with the feedback link."
    ),
}


@dataclass
class Touchpoint:
    trigger: str
    label: str
    when: str
    switch: BoundField
    timing: list[BoundField]


@requires(EDIT_TEMPLATES)
def journey_page(request: MemberRequest) -> HttpResponse:
    settings = tenant_queryset(request, JourneySettings).first() or JourneySettings(
        tenant=request.tenant
    )
    before = copy.copy(settings)
    templates = {t.trigger: t for t in tenant_queryset(request, MessageTemplate)}
    switches = {trigger: t.is_active for trigger, t in templates.items()}
    bound = request.POST if request.method == "POST" else None
    form = JourneyForm(bound, instance=settings, switches=switches)
    if request.method == "POST" and form.is_valid():
        moved = _save(request, form, before, templates)
        text = _("The guest journey is saved.")
        if moved:
            text += " " + ngettext(
                "%(count)s waiting message moved to its new time.",
                "%(count)s waiting messages moved to their new time.",
                moved,
            ) % {"count": moved}
        messages.success(request, text)
        return redirect("journey")
    return render(
        request,
        "messaging/journey.html",
        {"form": form, "touchpoints": _touchpoints(form), **_quiet_hours()},
        status=400 if form.errors else 200,
    )


def _save(
    request: MemberRequest,
    form: JourneyForm,
    before: JourneySettings,
    templates: dict[str, MessageTemplate],
) -> int:
    """Timings, switches and the waiting messages moved: all or nothing. Returns how many
    messages moved."""
    with transaction.atomic():
        settings = form.save()
        for trigger, on in form.switches().items():
            template = templates.get(trigger)
            if template is None:
                if on:  # a hotel from before this touchpoint existed: its default text
                    defaults.seed_template(request.tenant, trigger, active=True)
                continue
            if template.is_active != on:
                template.is_active = on
                template.save(update_fields=["is_active", "updated_at"])  # audited
        changed = journey.changed_touchpoints(before, settings)
        return journey.reschedule_waiting(request.tenant, settings, changed, timezone.now())


def _quiet_hours() -> dict[str, str]:
    hours = timing.allowed_hours()
    if hours is None:
        return {"quiet_start": "–", "quiet_end": "–"}
    return {"quiet_start": hours[1].strftime("%H:%M"), "quiet_end": hours[0].strftime("%H:%M")}


def _touchpoints(form: JourneyForm) -> list[Touchpoint]:
    return [
        Touchpoint(
            trigger=trigger,
            label=str(label),
            when=str(WHEN[Trigger(trigger)]),
            switch=form[f"on_{trigger}"],
            timing=[form[name] for name in journey.TIMING_FIELDS.get(trigger, ())]
            # What the reminder says, beside when it goes.
            + ([form["checkout_time"]] if trigger == Trigger.CHECKOUT else []),
        )
        for trigger, label in Trigger.choices
    ]
