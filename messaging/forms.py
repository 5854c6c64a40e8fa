from __future__ import annotations

from typing import Any

from babel import Locale, UnknownLocaleError
from django import forms
from django.utils.translation import gettext_lazy as _

from messaging import renderer
from messaging.models import MessageTemplateVariant


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
