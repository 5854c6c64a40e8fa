"""Sign up, log in (throttled by django-axes), log out, password reset."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from innbox.logs import ErrorCategory, get_logger
from tenancy import invitations, verification
from tenancy.access import TenantRequest
from tenancy.forms import EmailLoginForm, SignupForm
from tenancy.models import User
from tenancy.permissions import public

log = get_logger(__name__)

TOO_MANY_ATTEMPTS = gettext_lazy("Too many login attempts, try again later")


def _accept_invite_url(token: str) -> str:
    return f"{reverse('accept_invite')}?{urlencode({'token': token})}"


class LoginView(auth_views.LoginView):
    template_name = "tenancy/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def _invite_token(self) -> str:
        return self.request.POST.get("invite_token") or self.request.GET.get("invite_token", "")

    def get_success_url(self) -> str:
        # An invited person who logs in goes straight back to their invitation.
        token = self._invite_token()
        return _accept_invite_url(token) if token else super().get_success_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "invite_token": self._invite_token()}

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # No email or password in the log: failed logins are guesses at both.
        log.info("login_failed", error_category=ErrorCategory.VALIDATION)
        return super().form_invalid(form)


login_view = public(LoginView.as_view())


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout response: the login page again, saying why, with 429."""
    log.warning("login_throttled", error_category=ErrorCategory.VALIDATION)
    form = EmailLoginForm(request, data=request.POST or None)
    return render(
        request,
        "tenancy/login.html",
        {"form": form, "locked_out_message": TOO_MANY_ATTEMPTS},
        status=429,
    )


@public
@require_POST
def logout_view(request: TenantRequest) -> HttpResponse:
    return auth_views.logout_then_login(request)


@public
def signup(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("invite_token") or request.POST.get("invite_token") or ""
    invited_email = None
    if token:
        opened = invitations.open_link(token)
        if opened.state is invitations.LinkState.ACCEPTED:
            return redirect("login")
        if not opened.usable or opened.invitation is None:
            return render(
                request,
                "tenancy/invite_problem.html",
                {"message": gettext(invitations.EXPIRED_MESSAGE)},
                status=410,
            )
        invited_email = opened.invitation.invited_email
    if request.user.is_authenticated:
        return redirect(_accept_invite_url(token) if token else "dashboard:home")

    form = SignupForm(request.POST or None, invited_email=invited_email)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            form.cleaned_data["email"],
            form.cleaned_data["password1"],
            # The invitation link reached this address (the form locks the email to it): that is
            # the proof a verification link would give, so no second email.
            email_verified_at=timezone.now() if invited_email else None,
        )
        log.info("account_created", user_id=user.pk)
        if token:
            # The invited person proved the address by opening the link: straight on to accept.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_accept_invite_url(token))
        # Not logged in (log in after confirming, as before); this browser may resend the link.
        request.session[verification.SIGNED_UP] = user.pk
        try:
            verification.send(user)
        except verification.VerificationError as refusal:
            messages.error(request, str(refusal))
        return redirect("verify_email")
    return render(
        request,
        "tenancy/signup.html",
        {"form": form, "invite_token": token, "invited_email": invited_email},
    )


password_reset = public(
    auth_views.PasswordResetView.as_view(
        template_name="tenancy/password_reset.html",
        email_template_name="emails/password_reset.txt",
        html_email_template_name="emails/password_reset.html",
        subject_template_name="emails/password_reset_subject.txt",
        success_url=reverse_lazy("password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="tenancy/password_reset_done.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="tenancy/password_reset_confirm.html",
        success_url=reverse_lazy("password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="tenancy/password_reset_complete.html"
    )
)
