from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from django import forms
from django.utils.translation import gettext_lazy as _

from agent.models import KnowledgeEntry, MenuItem
from tenancy.models import Tenant

_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_PRICE = Decimal("9999999999")


class MenuItemForm(forms.ModelForm):
    class Meta:
        model = MenuItem
        fields = [
            "name",
            "aliases",
            "price",
            "category",
            "available_from",
            "available_until",
            "is_active",
        ]
        labels = {
            "name": _("Name"),
            "aliases": _("Other names"),
            "price": _("Price"),
            "category": _("Category"),
            "available_from": _("Served from"),
            "available_until": _("Served until"),
            "is_active": _("On the menu"),
        }
        help_texts = {
            "aliases": _(
                "Comma-separated: what guests may call it, in any language (fried rice, nasgor)."
            ),
            "available_from": _("Leave both times empty if it is served all day."),
            "available_until": _("Earlier than “from” means past midnight (22:00 to 02:00)."),
        }
        widgets = {
            "available_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "available_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, tenant: Tenant, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["price"].help_text = _("In %(currency)s.") % {"currency": currency}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Give the item a name."))
        others = MenuItem.objects.filter(tenant=self.tenant, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("The menu already has an item of this name."))
        return name

    def clean_aliases(self) -> str:
        aliases = [" ".join(a.split()) for a in self.cleaned_data["aliases"].split(",")]
        return ", ".join(a for a in aliases if a)

    def clean_price(self) -> Decimal:
        price = self.cleaned_data["price"]
        if price < 0 or price > MAX_PRICE:
            raise forms.ValidationError(_("Enter a price between 0 and 9,999,999,999."))
        return price

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("available_from"), cleaned.get("available_until")
        if (start is None) != (end is None):
            raise forms.ValidationError(
                _("Give both times, or leave both empty for an item served all day.")
            )
        if start is not None and start == end:
            raise forms.ValidationError(_("“From” and “until” must differ."))
        return cleaned


class KnowledgeEntryForm(forms.ModelForm):
    class Meta:
        model = KnowledgeEntry
        fields = ["question", "answer", "language", "topic"]
        labels = {
            "question": _("Question"),
            "answer": _("Answer"),
            "language": _("Language"),
            "topic": _("Topic"),
        }
        help_texts = {
            "question": _("As a guest would ask it."),
            "answer": _("What the concierge replies, word for word."),
            "language": _("ISO 639-1 code of this question and answer, e.g. en or id."),
            "topic": _(
                "Optional, e.g. pool: entries with the same topic are one answer in several "
                "languages, and guests get the one in their language."
            ),
        }
        widgets = {"answer": forms.Textarea(attrs={"rows": 4})}

    def clean_question(self) -> str:
        question = " ".join(self.cleaned_data["question"].split())
        if len(question) < 3:
            raise forms.ValidationError(_("Write the question out."))
        return question

    def clean_answer(self) -> str:
        answer = self.cleaned_data["answer"].strip()
        if not answer:
            raise forms.ValidationError(_("Write the answer."))
        return answer

    def clean_language(self) -> str:
        code = self.cleaned_data["language"].strip().lower()
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            raise forms.ValidationError(
                _("“%(code)s” is not a language code.") % {"code": code}
            ) from None
        if len(code) != 2:
            raise forms.ValidationError(_("Use the two-letter ISO 639-1 code, e.g. en or id."))
        return code

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"].strip().lower()
        if topic and not _TOPIC.match(topic):
            raise forms.ValidationError(
                _("Use lower-case letters, digits and dashes only, e.g. late-checkout.")
            )
        return topic


class TryQuestionForm(forms.Form):
    question = forms.CharField(label=_("Ask as a guest would"), max_length=500)
