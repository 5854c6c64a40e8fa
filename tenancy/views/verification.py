"""/verify-email/: "check your email", resend the link, and the link itself."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import verification
from tenancy.models import User
from tenancy.permissions import public


def _account(request: HttpRequest) -> User | None:
    """The logged-in account, or the one that just signed up in this browser."""
    if request.user.is_authenticated:
        return request.user  # type: ignore[return-value]
    user_id = request.session.get(verification.SIGNED_UP)
    return User.objects.filter(pk=user_id).first() if user_id else None


@public
def check_email(request: HttpRequest) -> HttpResponse:
    user = _account(request)
    if user is None:
        return redirect("login")
    if user.email_verified:
        return redirect("onboarding" if request.user.is_authenticated else "login")
    return render(
        request, "tenancy/verify_email.html", {"account": user, "hours": verification.LINK_HOURS}
    )


@public
@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    user = _account(request)
    if user is None:
        return redirect("login")
    if user.email_verified:
        return redirect("onboarding" if request.user.is_authenticated else "login")
    try:
        verification.send(user)
    except verification.TooSoon as refusal:
        return render(
            request,
            "tenancy/verify_email.html",
            {"account": user, "hours": verification.LINK_HOURS, "refusal": str(refusal)},
            status=429,
        )
    except verification.VerificationError as refusal:
        return render(
            request,
            "tenancy/verify_email.html",
            {"account": user, "hours": verification.LINK_HOURS, "refusal": str(refusal)},
        )
    messages.success(request, _("We sent a new link to %(email)s.") % {"email": user.email})
    return redirect("verify_email")


@public
def confirm(request: HttpRequest) -> HttpResponse:
    user = verification.confirm(request.GET.get("token", ""))
    if user is None:
        return render(request, "tenancy/verify_email_invalid.html", status=410)
    request.session.pop(verification.SIGNED_UP, None)
    if request.user.is_authenticated and request.user.pk == user.pk:
        messages.success(request, _("Your email address is confirmed."))
        then = request.session.pop(verification.AFTER_VERIFICATION, "")
        if then and url_has_allowed_host_and_scheme(then, allowed_hosts={request.get_host()}):
            return redirect(then)
        return redirect("onboarding")
    messages.success(request, _("Your email address is confirmed. Log in to continue."))
    return redirect("login")
