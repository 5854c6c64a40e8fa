from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from babel import Locale
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from tenancy.models import MAX_RETENTION_MONTHS, UILanguage, User

# ISO 639-1 languages offered as a hotel's default guest language; guests may have any.
GUEST_LANGUAGES = [
    "en", "id", "zh", "ja", "ko", "th", "vi", "ms", "hi", "ar",
    "de", "fr", "es", "it", "nl", "pt", "ru",
]  # fmt: skip

# Letters of any script, digits, spaces and the punctuation hotel names use.
HOTEL_NAME_PATTERN = re.compile(r"^[\w\s.,'’&()/-]+$")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return [(zone, zone.replace("_", " ")) for zone in zones]


def language_choices() -> list[tuple[str, str]]:
    return [
        (code, (Locale.parse(code).get_display_name("en") or code).title())
        for code in GUEST_LANGUAGES
    ]


class EmailLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Email or password is incorrect"),
    }

    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invited_email: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if invited_email:
            # A disabled field takes its value from `initial`, whatever the browser posts:
            # the invited address cannot be swapped for another on the server side either.
            self.fields["email"].initial = invited_email
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _("Your invitation is for this address.")
            self.fields["email"].widget.attrs.pop("autofocus", None)
            self.fields["password1"].widget.attrs["autofocus"] = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email already exists. Log in instead.")
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1 and cleaned.get("email"):
            try:
                password_validation.validate_password(password1, User(email=cleaned["email"]))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class HotelForm(forms.Form):
    name = forms.CharField(
        label=_("Hotel name"),
        min_length=3,
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "organization"}),
        help_text=_("3–100 characters: letters, numbers, spaces and . , ' & - ( ) /"),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), initial="Asia/Jakarta", choices=time_zone_choices
    )
    default_language = forms.ChoiceField(
        label=_("Default guest language"),
        initial="en",
        choices=language_choices,
        help_text=_("Used for guests whose language we do not know."),
    )
    room_count = forms.IntegerField(
        label=_("Number of rooms"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("The dashboard's occupancy rate divides the rooms in use by this number."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 3:
            raise forms.ValidationError(_("Use at least 3 characters."))
        if not HOTEL_NAME_PATTERN.match(name) or "_" in name:
            raise forms.ValidationError(
                _("Use letters, numbers, spaces and common punctuation (. , ' & - ( ) /) only.")
            )
        if not any(character.isalpha() for character in name):
            raise forms.ValidationError(_("A hotel name needs at least one letter."))
        return name


class PersonalDataForm(forms.Form):
    """/settings/hotel/'s guests' personal data panel (docs/compliance.md)."""

    retention_months = forms.IntegerField(
        label=_("Keep guests' personal data for (months after their last stay)"),
        min_value=1,
        max_value=MAX_RETENTION_MONTHS,
        help_text=_(
            "After this, a daily purge removes the guest's name, number, email, messages and "
            "comments; counts and ratings stay. 1 to 120 months."
        ),
    )
    opt_out_line = forms.BooleanField(
        label=_("End automated messages with “Reply STOP to opt out” in the guest's language"),
        required=False,
    )
    opt_out_words = forms.CharField(
        label=_("More words that opt a guest out, one per line"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "UNSUB\nAFMELDEN"}),
        help_text=_(
            "On top of STOP, UNSUBSCRIBE, BERHENTI and the like. Only a message that is exactly "
            "one of these opts out; a sentence that contains it does not."
        ),
    )

    def clean_opt_out_words(self) -> str:
        lines = [" ".join(line.split()) for line in self.cleaned_data["opt_out_words"].splitlines()]
        if any(len(line) > 60 for line in lines):
            raise forms.ValidationError(_("Each line is one short word or phrase."))
        return "\n".join(line for line in lines if line)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Staff email"), widget=forms.EmailInput(attrs={"placeholder": "name@hotel.com"})
    )


class LanguageForm(forms.Form):
    """The user menu's language choice (POST only; the page it came from is `next`)."""

    ui_language = forms.ChoiceField(label=_("Language"), choices=UILanguage.choices)
