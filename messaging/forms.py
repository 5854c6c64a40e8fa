from __future__ import annotations

from typing import Any

from babel import Locale, UnknownLocaleError
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from messaging import renderer, timing
from messaging.models import JourneySettings, MessageTemplateVariant, Trigger
from messaging.trigger_rules import MORNING_ENDS


class VariantForm(forms.ModelForm):
    class Meta:
        model = MessageTemplateVariant
        fields = ["content", "is_active"]
        widgets = {"content": forms.Textarea(attrs={"rows": 6})}
        labels = {"content": _("Text"), "is_active": _("Active")}

    def __init__(self, *args: Any, trigger: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trigger = trigger
        self.fields["content"].help_text = _("Variables: %(names)s") % {
            "names": ", ".join("{{" + name + "}}" for name in renderer.allowed_for(trigger))
        }

    def clean_content(self) -> str:
        content = self.cleaned_data["content"].strip()
        try:
            renderer.validate(content, self.trigger)
        except renderer.TemplateError as error:
            raise forms.ValidationError(str(error)) from None
        return content


class NewVariantForm(VariantForm):
    language_code = forms.CharField(
        label=_("Language"), max_length=8, help_text=_("ISO 639-1 code, e.g. en, id, ja, de")
    )

    class Meta(VariantForm.Meta):
        fields = ["language_code", "content", "is_active"]

    def __init__(self, *args: Any, template: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template

    def clean_language_code(self) -> str:
        code = self.cleaned_data["language_code"].strip().lower()
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            raise forms.ValidationError(
                _("“%(code)s” is not a language code.") % {"code": code}
            ) from None
        if len(code) != 2:
            raise forms.ValidationError(_("Use the two-letter ISO 639-1 code, e.g. en or id."))
        if self.template.variants.filter(language_code=code).exists():
            raise forms.ValidationError(
                _("This template already has a %(code)s variant.") % {"code": code}
            )
        return code


class JourneyForm(forms.ModelForm):
    """The timing of each touchpoint (JourneySettings) and whether it sends (its template's
    switch, one `on_<trigger>` field each: messaging.journey_views saves those)."""

    class Meta:
        model = JourneySettings
        fields = [
            "pre_arrival_days_before",
            "pre_arrival_time",
            "on_stay_delay_hours",
            "mid_stay_time",
            "checkout_reminder_time",
            "post_stay_days_after",
            "post_stay_time",
            "checkout_time",
            "late_checkout_offer",
        ]
        labels = {
            "pre_arrival_days_before": _("Days before arrival"),
            "pre_arrival_time": _("At (guest's time)"),
            "on_stay_delay_hours": _("Hours after check-in"),
            "mid_stay_time": _("At (hotel time)"),
            "checkout_reminder_time": _("At (hotel time)"),
            "post_stay_days_after": _("Days after departure"),
            "post_stay_time": _("At (guest's time)"),
            "checkout_time": _("Checkout time"),
            "late_checkout_offer": _("Late-checkout offer"),
        }
        help_texts = {
            "on_stay_delay_hours": _("0 sends the welcome at check-in."),
            "checkout_time": _("In the checkout reminder as {{checkoutTime}}."),
            "late_checkout_offer": _(
                "Optional, in the checkout reminder as {{lateCheckoutOffer}}, e.g. "
                "\"Late checkout until 14:00 is free: just reply 'late'.\""
            ),
        }
        widgets = {
            name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            for name in [
                "pre_arrival_time",
                "mid_stay_time",
                "checkout_reminder_time",
                "post_stay_time",
                "checkout_time",
            ]
        }

    # Sending times: the checkout time is no sending time (guests may leave at night).
    SENDING_TIMES = [
        "pre_arrival_time",
        "mid_stay_time",
        "checkout_reminder_time",
        "post_stay_time",
    ]

    def __init__(self, *args: Any, switches: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for trigger, label in Trigger.choices:
            self.fields[f"on_{trigger}"] = forms.BooleanField(
                required=False, initial=switches.get(trigger, False), label=label
            )
        limits = {
            "pre_arrival_days_before": (1, 30),
            "on_stay_delay_hours": (0, 24),
            # The feedback link lives 30 days after checkout (feedback.services.LINK_LIFETIME):
            # the thank-you, the follow-up a day later and the guest's answer must fit in it.
            "post_stay_days_after": (1, 14),
        }
        for name, (low, high) in limits.items():
            field = self.fields[name]
            assert isinstance(field, forms.IntegerField)
            field.min_value, field.max_value = low, high
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update({"min": low, "max": high})

    def switches(self) -> dict[str, bool]:
        return {trigger: bool(self.cleaned_data[f"on_{trigger}"]) for trigger in Trigger.values}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        hours = timing.allowed_hours()
        for name in self.SENDING_TIMES:
            value = cleaned.get(name)
            if value is None:
                continue
            if hours is not None and not hours[0] <= value < hours[1]:
                self.add_error(
                    name,
                    _(
                        "%(time)s is in the quiet hours: messages go out between %(start)s "
                        "and %(end)s."
                    )
                    % {
                        "time": value.strftime("%H:%M"),
                        "start": hours[0].strftime("%H:%M"),
                        "end": hours[1].strftime("%H:%M"),
                    },
                )
        mid_stay = cleaned.get("mid_stay_time")
        if mid_stay is not None and mid_stay >= MORNING_ENDS and "mid_stay_time" not in self.errors:
            self.add_error(
                "mid_stay_time",
                _("The mid-stay check goes in the morning: choose a time before %(noon)s.")
                % {"noon": MORNING_ENDS.strftime("%H:%M")},
            )
        return cleaned
