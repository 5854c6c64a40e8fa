from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from innbox import netguard
from pms.adapters import ADAPTERS
from pms.adapters.qloapps import webservice_url
from pms.models import PMSConfiguration

if TYPE_CHECKING:  # dev-only stubs package: the alias is for mypy
    from django_stubs_ext import StrOrPromise

MEWS_HOSTS = {"api.mews.com", "api.mews-demo.com"}

# Which secrets each provider needs; never shown back in full.
CREDENTIAL_FIELDS: dict[str, list[tuple[str, StrOrPromise]]] = {
    "demo": [],
    "mews": [("client_token", _("Client token")), ("access_token", _("Access token"))],
    "qloapps": [("api_key", _("Webservice key"))],
}


def _provider_choices() -> list[tuple[str, str]]:
    return [(name, adapter.label) for name, adapter in ADAPTERS.items()]


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


class PMSForm(forms.Form):
    provider = forms.ChoiceField(label=_("PMS"), choices=_provider_choices)
    base_url = forms.URLField(
        label=_("Address of the PMS API"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Mews: https://api.mews.com (or https://api.mews-demo.com). "
            "QloApps: your shop's address, e.g. https://your-hotel.example (Innbox adds /api). "
            "Not needed for the demo."
        ),
    )
    client_token = forms.CharField(
        label=_("Client token"), required=False, widget=forms.PasswordInput
    )
    access_token = forms.CharField(
        label=_("Access token"), required=False, widget=forms.PasswordInput
    )
    api_key = forms.CharField(label=_("Webservice key"), required=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, existing: PMSConfiguration | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = existing
        stored = existing.get_credentials() if existing and existing.credentials_encrypted else {}
        for fields in CREDENTIAL_FIELDS.values():
            for name, _label in fields:
                if stored.get(name):
                    ending = str(stored[name])[-4:]
                    self.fields[name].help_text = _(
                        "Saved (ends in …%(ending)s). Leave empty to keep it."
                    ) % {"ending": ending}

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip()
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError(_("Use an http:// or https:// address."))
        if parts.username or parts.password:
            raise forms.ValidationError(
                _("Put credentials in their own fields, not in the address.")
            )
        refusal = netguard.refusal_on_save(parts.hostname or "")
        if refusal:
            # Innbox would send the hotel's PMS secrets there, from inside its own network.
            raise forms.ValidationError(
                _(
                    "This address points at the Innbox server itself or its private network "
                    "(%(address)s); use the PMS's address. If the PMS runs beside Innbox, whoever "
                    "runs Innbox can allow it."
                )
                % {"address": refusal.address}
            )
        return url.rstrip("/")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider = cleaned.get("provider", "")
        base_url = cleaned.get("base_url") or ""
        if provider in ("mews", "qloapps") and not base_url and "base_url" not in self.errors:
            self.add_error("base_url", _("The address of the PMS API is required."))
        if provider == "qloapps" and base_url:
            base_url = cleaned["base_url"] = webservice_url(base_url)
        if (
            provider == "mews"
            and base_url
            and (urlsplit(base_url).scheme != "https" or _host(base_url) not in MEWS_HOSTS)
        ):
            self.add_error(
                "base_url",
                _("Mews is https://api.mews.com (or https://api.mews-demo.com for its demo)."),
            )
        cleaned["credentials"] = self._credentials(cleaned, provider, base_url)
        return cleaned

    def _credentials(self, cleaned: dict[str, Any], provider: str, base_url: str) -> dict[str, Any]:
        # Saved secrets stay with the PMS they were entered for: another provider or another
        # host must be given its credentials again, so they never follow an address elsewhere.
        existing = self.existing
        same_place = (
            existing is not None
            and existing.provider == provider
            and _host(existing.base_url) == _host(base_url)
            and bool(existing.credentials_encrypted)
        )
        stored = existing.get_credentials() if same_place and existing else {}
        if provider == "demo":
            return stored
        credentials = {}
        for name, label in CREDENTIAL_FIELDS.get(provider, []):
            value = (cleaned.get(name) or "").strip() or stored.get(name, "")
            if not value:
                self.add_error(name, _("%(field)s is required for this PMS.") % {"field": label})
            credentials[name] = value
        # Settings an adapter keeps beside its secrets (e.g. QloApps' cancelled order states).
        extras = {k: v for k, v in stored.items() if k not in credentials}
        return {**extras, **credentials}
