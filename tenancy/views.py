from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from innbox.logs import ErrorCategory, get_logger
from tenancy.access import TenantRequest
from tenancy.forms import EmailLoginForm

log = get_logger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "tenancy/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: EmailLoginForm) -> HttpResponse:
        # No email or password in the log: failed logins are guesses at both.
        log.info("login_failed", error_category=ErrorCategory.VALIDATION)
        return super().form_invalid(form)


login_view = LoginView.as_view()


@require_POST
def logout_view(request: TenantRequest) -> HttpResponse:
    return auth_views.logout_then_login(request)


@login_required
def onboarding(request: TenantRequest) -> HttpResponse:
    if request.tenant is not None:
        return redirect("dashboard:home")
    return render(request, "tenancy/onboarding.html")
