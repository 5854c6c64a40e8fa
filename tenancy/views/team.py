"""/settings/team/: the owner's view of members and invitations."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import invitations
from tenancy.access import MemberRequest, get_for_owner, tenant_queryset
from tenancy.forms import InviteForm
from tenancy.models import Invitation, InvitationStatus, Membership, Role
from tenancy.permissions import MANAGE_TEAM, matrix, requires


@requires(MANAGE_TEAM)
def team(request: MemberRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invite_staff(request.tenant, request.user, form.cleaned_data["email"])
        except invitations.InvitationError as refusal:
            form.add_error("email", str(refusal))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("team")
    return render(request, "tenancy/team.html", _team_context(request, form))


def _team_context(request: MemberRequest, form: InviteForm) -> dict[str, object]:
    members = (
        tenant_queryset(request, Membership)
        .select_related("user")
        .annotate(
            owner_first=Case(
                When(role=Role.OWNER, then=Value(0)), default=1, output_field=IntegerField()
            )
        )
        .order_by("owner_first", "created_at")
    )
    open_invitations = (
        tenant_queryset(request, Invitation)
        .exclude(status=InvitationStatus.ACCEPTED)
        .select_related("invited_by")
        .order_by("-created_at")
    )
    now = timezone.now()
    rows = [
        {
            "invitation": invitation,
            "shown_status": (
                InvitationStatus.EXPIRED
                if invitation.status == InvitationStatus.PENDING and invitation.expires_at <= now
                else invitation.status
            ),
        }
        for invitation in open_invitations
    ]
    # The Team page shows the matrix the views enforce (tenancy.permissions), not a summary of it.
    return {"form": form, "members": members, "invitation_rows": rows, "matrix": matrix()}


@requires(MANAGE_TEAM)
@require_POST
def resend_invitation(request: MemberRequest, public_id: str) -> HttpResponse:
    invitation = get_for_owner(
        request, Invitation.objects.select_related("tenant", "invited_by"), public_id=public_id
    )
    try:
        invitations.resend(invitation)
    except invitations.InvitationError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("A new invitation link was sent to %(email)s.") % {"email": invitation.invited_email},
        )
    return redirect("team")


@requires(MANAGE_TEAM)
@require_POST
def revoke_invitation(request: MemberRequest, public_id: str) -> HttpResponse:
    invitation = get_for_owner(request, Invitation, public_id=public_id)
    try:
        invitations.revoke(invitation)
    except invitations.InvitationError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("The invitation for %(email)s was revoked.") % {"email": invitation.invited_email},
        )
    return redirect("team")


@requires(MANAGE_TEAM)
@require_POST
def remove_member(request: MemberRequest, public_id: str) -> HttpResponse:
    membership = get_for_owner(
        request, Membership.objects.select_related("user"), public_id=public_id
    )
    try:
        invitations.remove_member(membership, request.user)
    except invitations.InvitationError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("%(email)s no longer has access to this hotel.") % {"email": membership.user.email},
        )
    return redirect("team")
