"""The guest's side of feedback: the form behind the post-stay link, its thank-you page, and the
pages for a link that is unknown (404) or no longer open (410). Public pages, in the guest's
language, without anything of the staff's screens.

Every guest who answers is offered the hotel's review links, whatever the rating: sending only
happy guests to review sites ("review gating") is against Google's and Tripadvisor's rules. A low
rating also alerts staff, through the hotel.feedback handlers (conversations.feedback_alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from feedback import services
from feedback.guest_text import TEXTS, GuestText, language_for, language_from_header, until
from feedback.models import FeedbackSettings, Topic
from hotel.feedback import is_low
from hotel.models import Reservation
from tenancy.db import acting_for_tenant
from tenancy.permissions import public

RATINGS = range(1, 6)


class GuestFeedbackForm(forms.Form):
    """The overall rating (required), a rating per topic the hotel asks (optional), comments."""

    rating = forms.TypedChoiceField(choices=[(n, n) for n in RATINGS], coerce=int)
    comments = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args: Any, topics: list[Topic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topics = topics
        for topic in topics:
            self.fields[topic_field(topic)] = forms.TypedChoiceField(
                choices=[("", ""), *[(n, n) for n in RATINGS]],
                coerce=int,
                required=False,
                empty_value=None,
            )

    def topic_ratings(self) -> dict[str, int]:
        ratings = {topic.value: self.cleaned_data.get(topic_field(topic)) for topic in self.topics}
        return {topic: value for topic, value in ratings.items() if value is not None}


def topic_field(topic: Topic) -> str:
    return f"topic_{topic.value}"


@dataclass(frozen=True)
class GuestPage:
    """What every guest page of one stay needs, read in the hotel's context."""

    reservation: Reservation
    language: str
    text: GuestText
    settings: FeedbackSettings

    @property
    def context(self) -> dict[str, Any]:
        return {
            "reservation": self.reservation,
            "hotel_name": self.reservation.tenant.name,
            "language": self.language,
            "text": self.text,
            "review_links": [
                {
                    "site": link.site,
                    "url": link.url,
                    "text": self.text.review_on.format(site=link.label),
                }
                for link in self.settings.review_links()
            ],
        }


def _guest_page(reservation: Reservation) -> GuestPage:
    with acting_for_tenant(reservation.tenant_id):
        language = language_for(reservation)
        return GuestPage(
            reservation, language, TEXTS[language], services.settings_for(reservation.tenant)
        )


def _not_found(request: HttpRequest) -> HttpResponse:
    """A link that names no stay: in the browser's language, since no guest is known."""
    language = language_from_header(request.headers.get("Accept-Language", ""))
    text = TEXTS[language]
    return render(
        request,
        "feedback/gone.html",
        {
            "language": language,
            "text": text,
            "heading": text.not_found_title,
            "body": text.not_found,
        },
        status=404,
    )


def _gone(request: HttpRequest, guest: GuestPage, reason: str) -> HttpResponse:
    """The link is no longer open: expired unanswered, or answered and past the edit window
    (then the guest still finds the review links: no gating, whenever they come back)."""
    text = guest.text
    closed = reason == "closed"
    context = {
        **guest.context,
        "heading": text.closed_title if closed else text.expired_title,
        "body": text.closed if closed else text.expired,
        "show_reviews": closed and services.answered(guest.reservation),
    }
    return render(request, "feedback/gone.html", context, status=410)


def _star_group(
    form: GuestFeedbackForm, name: str, legend: str, text: GuestText, *, optional: bool
) -> dict[str, Any]:
    """One star rating as the template draws it: a radio group of five (and "no answer" for an
    optional one), its legend, the current choice and its error."""
    field = form[name]
    value = str(field.value() or "")
    return {
        "name": name,
        "legend": legend,
        "value": value,
        "optional": optional,
        "error": text.rating_missing if field.errors else "",
        "choices": [
            {
                "value": str(n),
                "name": text.star_name.format(n=n),
                "caption": caption,
                "checked": value == str(n),
            }
            for n, caption in zip(RATINGS, text.stars, strict=True)
        ],
        "current_caption": text.stars[int(value) - 1] if value in {"1", "2", "3", "4", "5"} else "",
    }


def _form_page(
    request: HttpRequest, guest: GuestPage, form: GuestFeedbackForm, status: int = 200
) -> HttpResponse:
    text = guest.text
    reservation = guest.reservation
    context = {
        **guest.context,
        "form": form,
        "intro": text.intro.format(
            hotel=reservation.tenant.name, name=reservation.guest.first_name
        ),
        "answered": services.answered(reservation),
        "overall": _star_group(form, "rating", text.rating, text, optional=False),
        "topics": [
            _star_group(
                form, topic_field(topic), text.topic_names[topic.value], text, optional=True
            )
            for topic in form.topics
        ],
    }
    return render(request, "feedback/form.html", context, status=status)


def _initial(reservation: Reservation, topics: list[Topic]) -> dict[str, Any]:
    """A guest who answered finds their answer in the form, to change it."""
    given = reservation.feedback_topics or {}
    return {
        "rating": reservation.feedback_rating,
        "comments": reservation.feedback_comments,
        **{topic_field(topic): given.get(topic.value) for topic in topics},
    }


@public
@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest, token: str) -> HttpResponse:
    reservation = services.find(token)
    if reservation is None:
        return _not_found(request)
    guest = _guest_page(reservation)
    state = services.state(reservation)
    if not state.open:
        return _gone(request, guest, state.reason)
    topics = guest.settings.topics()
    if request.method != "POST":
        form = GuestFeedbackForm(initial=_initial(reservation, topics), topics=topics)
        return _form_page(request, guest, form)
    form = GuestFeedbackForm(request.POST, topics=topics)
    if not form.is_valid():
        return _form_page(request, guest, form, status=400)  # nothing saved; it says what to fix
    services.submit(
        reservation,
        form.cleaned_data["rating"],
        form.cleaned_data["comments"],
        topics=form.topic_ratings(),
    )
    # Post/redirect/get: reloading the thank-you page sends nothing twice.
    return redirect("feedback_thanks", token=token)


@public
@require_GET
def feedback_thanks(request: HttpRequest, token: str) -> HttpResponse:
    reservation = services.find(token)
    if reservation is None:
        return _not_found(request)
    if not services.answered(reservation):
        return redirect("feedback_form", token=token)
    guest = _guest_page(reservation)
    text, rating = guest.text, reservation.feedback_rating or 0
    deadline = services.edit_until(reservation)
    can_change = services.state(reservation).open and deadline is not None
    context = {
        **guest.context,
        "token": token,
        "heading": text.thanks_title.format(name=reservation.guest.first_name),
        "body": text.thanks_body.format(hotel=reservation.tenant.name),
        "rating": rating,
        "rating_caption": text.stars[rating - 1],
        "rating_name": text.star_name.format(n=rating),
        "stars": [n <= rating for n in RATINGS],
        "low": is_low(rating),
        "can_change": (
            text.can_change.format(**until(deadline, reservation.tenant.time_zone, guest.language))
            if can_change and deadline
            else ""
        ),
    }
    return render(request, "feedback/thanks.html", context)
