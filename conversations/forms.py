"""The inbox's forms: saved replies, and a guest made for a number that matches none."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from conversations.models import SavedReply
from messaging import renderer
from tenancy.models import Tenant

# The languages staff pick for a guest they add by hand; the hotel's own default comes first.
GUEST_LANGUAGES = ("en", "id", "zh-hans", "ja", "ko", "de", "fr", "nl", "es", "ru", "ar")


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["name", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        labels = {"name": _("Short name"), "body": _("Text")}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["name"].help_text = _("What staff pick from the list, e.g. “Breakfast hours”.")
        self.fields["body"].help_text = _("Variables: %(names)s") % {
            "names": ", ".join("{{" + name + "}}" for name in renderer.allowed_for("manual"))
        }

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give it a short name."))
        taken = SavedReply.objects.filter(tenant=self.tenant, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("There is already a saved reply with this name."))
        return name

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        try:
            renderer.validate(body, "manual")
        except renderer.TemplateError as error:
            raise forms.ValidationError(str(error)) from None
        return body

    def save(self, commit: bool = True) -> SavedReply:
        reply: SavedReply = super().save(commit=False)
        reply.tenant = self.tenant
        if commit:
            reply.save()
        return reply


def _language_choices(default: str) -> list[tuple[str, str]]:
    codes = [default, *(code for code in GUEST_LANGUAGES if code != default)]
    choices = []
    for code in codes:
        try:
            name = get_language_info(code)["name_local"]
        except KeyError:
            name = code
        choices.append((code.split("-")[0], name))
    return choices


class NewGuestForm(forms.Form):
    """Who an unknown number is, as staff learned it from the chat."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("Language"))

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = _language_choices(tenant.default_language)
        language.initial = tenant.default_language

    # Django's CharField refuses NUL characters itself (a 400 with the form, never a 500).
    def clean_first_name(self) -> str:
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())
