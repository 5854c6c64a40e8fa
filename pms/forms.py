from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms

from pms.adapters import ADAPTERS
from pms.models import PMSConfiguration

# Which secrets each provider needs; never shown back in full.
CREDENTIAL_FIELDS: dict[str, list[tuple[str, str]]] = {
    "demo": [],
    "mews": [("client_token", "Client token"), ("access_token", "Access token")],
    "qloapps": [("api_key", "Webservice key")],
}


class PMSForm(forms.Form):
    provider = forms.ChoiceField(
        label="PMS", choices=lambda: [(n, a.label) for n, a in ADAPTERS.items()]
    )
    base_url = forms.URLField(
        label="Address of the PMS API",
        required=False,
        assume_scheme="https",
        help_text="Mews: https://api.mews.com (or https://api.mews-demo.com). QloApps: https://your-hotel.example/api. Not needed for the demo.",
    )
    client_token = forms.CharField(
        label="Client token", required=False, widget=forms.PasswordInput(render_value=False)
    )
    access_token = forms.CharField(
        label="Access token", required=False, widget=forms.PasswordInput(render_value=False)
    )
    api_key = forms.CharField(
        label="Webservice key", required=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args: Any, existing: PMSConfiguration | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = existing
        stored = existing.get_credentials() if existing and existing.credentials_encrypted else {}
        for name, _ in [field for fields in CREDENTIAL_FIELDS.values() for field in fields]:
            if stored.get(name):
                self.fields[
                    name
                ].help_text = f"Saved (ends in …{str(stored[name])[-4:]}). Leave empty to keep it."

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip()
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("Use an http:// or https:// address.")
        if parts.username or parts.password:
            raise forms.ValidationError("Put credentials in their own fields, not in the address.")
        return url.rstrip("/")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider = cleaned.get("provider", "")
        stored = (
            self.existing.get_credentials()
            if self.existing
            and self.existing.provider == provider
            and self.existing.credentials_encrypted
            else {}
        )
        credentials = {}
        for name, label in CREDENTIAL_FIELDS.get(provider, []):
            value = (cleaned.get(name) or "").strip() or stored.get(name, "")
            if not value:
                self.add_error(name, f"{label} is required for this PMS.")
            credentials[name] = value
        if provider == "demo":
            credentials = stored or {}
        if (
            provider in ("mews", "qloapps")
            and not cleaned.get("base_url")
            and "base_url" not in self.errors
        ):
            self.add_error("base_url", "The address of the PMS API is required.")
        cleaned["credentials"] = credentials
        return cleaned
