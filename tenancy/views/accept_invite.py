"""/accept-invite/?token=...: every branch of the plan's invitation flow."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tenancy import invitations, verification
from tenancy.access import TenantRequest
from tenancy.models import User
from tenancy.permissions import public


def _with_token(name: str, token: str) -> str:
    return f"{reverse(name)}?{urlencode({'invite_token': token})}"


@public
def accept_invite(request: TenantRequest) -> HttpResponse:
    token = request.GET.get("token") or request.POST.get("token") or ""
    opened = invitations.open_link(token)
    if opened.state is invitations.LinkState.ACCEPTED:
        return redirect("login")
    if not opened.usable or opened.invitation is None:
        return _problem(request, _(invitations.EXPIRED_MESSAGE), status=410)
    invitation = opened.invitation

    if not request.user.is_authenticated:
        registered = User.objects.filter(email__iexact=invitation.invited_email).exists()
        return redirect(_with_token("login" if registered else "signup", token))

    if request.user.email.lower() != invitation.invited_email.lower():
        return _problem(
            request,
            _(
                "This invitation is for %(invited)s, but you are logged in as %(user)s. "
                "Log out, then open the link again."
            )
            % {"invited": invitation.invited_email, "user": request.user.email},
            status=403,
        )

    here = f"{reverse('accept_invite')}?{urlencode({'token': token})}"
    unverified = verification.unverified_redirect(request, then=here)
    if unverified is not None:
        return unverified

    if request.method == "POST":
        try:
            invitations.accept(token, request.user)
        except invitations.InvitationError as refusal:
            return _problem(request, str(refusal), status=409)
        messages.success(request, _("Welcome to %(hotel)s!") % {"hotel": invitation.tenant.name})
        return redirect("dashboard:home")

    return render(
        request,
        "tenancy/accept_invite.html",
        {
            "invitation": invitation,
            "token": token,
            "already_member": request.tenant is not None,
        },
    )


def _problem(request: TenantRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "tenancy/invite_problem.html", {"message": message}, status=status)
