from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotel.models import ConsentChange


class ConsentEntryForm(forms.Form):
    """A consent change staff learnt of outside WhatsApp (at the desk, by phone, by email)."""

    change = forms.ChoiceField(label=_("What changed"), choices=ConsentChange.choices)
    text_shown = forms.CharField(
        label=_("What the guest was told or shown (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ErasureForm(forms.Form):
    """The owner confirms an erasure; a guest in house needs a second, explicit yes."""

    confirm = forms.BooleanField(
        label=_("I understand this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )
    confirm_in_house = forms.BooleanField(
        label=_("Erase anyway: this guest is staying with us now."), required=False
    )

    def __init__(self, *args: object, in_house: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.in_house = in_house
        if not in_house:
            del self.fields["confirm_in_house"]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.in_house and not cleaned.get("confirm_in_house"):
            self.add_error(
                "confirm_in_house",
                _("This guest is in house: confirm that you want to erase them anyway."),
            )
        return cleaned
