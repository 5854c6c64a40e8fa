from __future__ import annotations

from typing import TypedDict

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from feedback import services
from messaging.services import primary_language
from tenancy.permissions import public


class FeedbackText(TypedDict):
    title: str
    intro: str
    rating: str
    comments: str
    send: str
    thanks: str
    closed: str
    expired: str
    comments_refused: str
    stars: list[str]


# The form speaks the guest's language; English for the rest.
TEXT: dict[str, FeedbackText] = {
    "en": {
        "title": "How was your stay?",
        "intro": "Thank you for staying at {hotel}, {name}. Your answer goes straight to the team.",
        "rating": "Your rating",
        "comments": "Anything we should know?",
        "send": "Send",
        "thanks": "Thank you! You can change your answer until tomorrow.",
        "closed": "Thank you, your feedback is saved.",
        "expired": "This feedback link has expired.",
        "comments_refused": "Please shorten your comment (4,000 characters at most) or remove "
        "unusual characters, then send it again.",
        "stars": ["Poor", "Fair", "Good", "Very good", "Excellent"],
    },
    "id": {
        "title": "Bagaimana masa menginap Anda?",
        "intro": "Terima kasih telah menginap di {hotel}, {name}. Jawaban Anda langsung diterima tim kami.",
        "rating": "Penilaian Anda",
        "comments": "Ada yang perlu kami ketahui?",
        "send": "Kirim",
        "thanks": "Terima kasih! Anda dapat mengubah jawaban hingga besok.",
        "closed": "Terima kasih, masukan Anda sudah tersimpan.",
        "expired": "Tautan masukan ini sudah tidak berlaku.",
        "comments_refused": "Mohon persingkat komentar Anda (paling banyak 4.000 karakter) atau "
        "hapus karakter yang tidak biasa, lalu kirim lagi.",
        "stars": ["Buruk", "Cukup", "Baik", "Sangat baik", "Luar biasa"],
    },
}


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(n, n) for n in range(1, 6)], coerce=int, widget=forms.RadioSelect
    )
    comments = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


@public
def feedback_form(request: HttpRequest, token: str) -> HttpResponse:
    reservation = services.find(token)
    if reservation is None:
        raise Http404
    language = primary_language(reservation.guest.language or reservation.tenant.default_language)
    text = TEXT.get(language, TEXT["en"])
    state = services.state(reservation)
    form = FeedbackForm(
        request.POST or None,
        initial={"rating": reservation.feedback_rating, "comments": reservation.feedback_comments},
    )
    saved = False
    status = 200 if state.open or request.method == "GET" else 410
    if request.method == "POST" and state.open:
        if form.is_valid():
            services.submit(reservation, form.cleaned_data["rating"], form.cleaned_data["comments"])
            saved = True
        else:
            status = 400  # nothing saved; the form says what to change
    return render(
        request,
        "feedback/form.html",
        {
            "reservation": reservation,
            "text": text,
            "intro": str(text["intro"]).format(
                hotel=reservation.tenant.name, name=reservation.guest.first_name
            ),
            "form": form,
            "state": state,
            "saved": saved,
            "language": language,
            "stars": list(zip(range(1, 6), text["stars"], strict=True)),
        },
        status=status,
    )
