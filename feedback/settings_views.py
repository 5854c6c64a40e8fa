"""/settings/feedback/: the hotel's review links and the form's optional questions (owners).
Changes land in the audit log (feedback.audit)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from feedback import services
from feedback.models import FeedbackSettings
from feedback.permissions import EDIT_FEEDBACK_SETTINGS
from tenancy.access import MemberRequest
from tenancy.permissions import requires

URL_FIELDS = ("google_url", "tripadvisor_url", "booking_url", "other_url")
TOPIC_FIELDS = ("ask_room", "ask_cleanliness", "ask_staff", "ask_breakfast")


def _review_url(label: Any, example: str) -> forms.URLField:
    return forms.URLField(
        label=label,
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("For example %(example)s") % {"example": example},
    )


class FeedbackSettingsForm(forms.ModelForm):
    google_url = _review_url(_("Google"), "https://g.page/r/…/review")
    tripadvisor_url = _review_url(_("Tripadvisor"), "https://www.tripadvisor.com/UserReviewEdit-…")
    booking_url = _review_url(_("Booking.com"), "https://www.booking.com/hotel/…")
    other_label = forms.CharField(
        label=_("Other site's name"),
        required=False,
        max_length=60,
        help_text=_("As guests read it on the button, e.g. Agoda or Traveloka."),
    )
    other_url = _review_url(_("Other site's review link"), "https://www.agoda.com/…")

    class Meta:
        model = FeedbackSettings
        fields = [*URL_FIELDS[:3], "other_label", "other_url", *TOPIC_FIELDS]
        labels = {
            "ask_room": _("Room"),
            "ask_cleanliness": _("Cleanliness"),
            "ask_staff": _("Staff"),
            "ask_breakfast": _("Breakfast"),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in URL_FIELDS:
            url = (cleaned.get(name) or "").strip()
            if url and urlsplit(url).scheme != "https":
                self.add_error(name, _("Use the site's https:// address."))
        label, url = (cleaned.get("other_label") or "").strip(), cleaned.get("other_url")
        if url and not label:
            self.add_error("other_label", _("Name the site, so guests know where the link goes."))
        if label and not url:
            self.add_error("other_url", _("Add the site's review link, or clear its name."))
        cleaned["other_label"] = label
        return cleaned


@requires(EDIT_FEEDBACK_SETTINGS)
@require_http_methods(["GET", "POST"])
def feedback_settings(request: MemberRequest) -> HttpResponse:
    current = services.settings_for(request.tenant)
    form = FeedbackSettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Feedback settings saved."))
            return redirect("feedback_settings")
        status = 400
    else:
        status = 200
    return render(
        request,
        "feedback/settings.html",
        {
            "form": form,
            "link_fields": [form[name] for name in (*URL_FIELDS[:3], "other_label", "other_url")],
            "topic_fields": [form[name] for name in TOPIC_FIELDS],
        },
        status=status,
    )
