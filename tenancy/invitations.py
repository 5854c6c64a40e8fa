"""Staff invitations: issue, email, resend, revoke and accept.

A token is 32 random bytes, sent once in the email link; only its SHA-256 is stored, so the
invitations table is no list of working links. Resending replaces the token (the old link dies);
revoking kills it at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import smtplib
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from innbox.i18n import TranslatedError
from innbox.logs import ErrorCategory, get_logger
from tenancy import audit, lookups
from tenancy.db import acting_for_tenant
from tenancy.models import Invitation, InvitationStatus, Membership, Role, Tenant, User

INVITATION_LIFETIME = dt.timedelta(days=7)
EXPIRED_MESSAGE = gettext_noop("Link expired. Ask your hotel owner to re-invite you.")

log = get_logger(__name__)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def accept_url(token: str) -> str:
    return f"{settings.APP_URL}{reverse('accept_invite')}?{urlencode({'token': token})}"


class InvitationError(TranslatedError):
    """A refusal to show the person, in words they can act on (and in their language)."""


# --- owner actions (run inside the owner's request, so RLS already names the tenant) ---------


def invite_staff(tenant: Tenant, invited_by: User, email: str) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise InvitationError(
            gettext_noop("%(email)s is already a member of %(hotel)s."),
            email=email,
            hotel=tenant.name,
        )
    if Invitation.objects.filter(
        tenant=tenant, invited_email__iexact=email, status=InvitationStatus.PENDING
    ).exists():
        raise InvitationError(
            gettext_noop("%(email)s already has an invitation. Use Resend to send it again."),
            email=email,
        )
    token, token_hash = _new_token()
    try:
        # The row and the email stand or fall together: no invitation nobody was told about.
        with transaction.atomic():
            invitation = Invitation.objects.create(
                tenant=tenant,
                invited_email=email,
                invited_by=invited_by,
                token_hash=token_hash,
                expires_at=timezone.now() + INVITATION_LIFETIME,
            )
            audit.record(tenant, audit.INVITATION_SENT, invitation, about=email, actor=invited_by)
            _send_email(invitation, token)
    except IntegrityError:  # a second click raced the first
        raise InvitationError(
            gettext_noop("%(email)s already has an invitation. Use Resend to send it again."),
            email=email,
        ) from None
    log.info("invitation_sent", invitation_id=str(invitation.public_id))
    return invitation


RESENDABLE = (InvitationStatus.PENDING, InvitationStatus.EXPIRED, InvitationStatus.REVOKED)


def resend(invitation: Invitation) -> Invitation:
    """A new token and expiry, emailed again. The old link dies with its token."""
    token, token_hash = _new_token()
    expires_at = timezone.now() + INVITATION_LIFETIME
    try:
        with transaction.atomic():
            # Conditional on the status, so an acceptance that happened after the owner loaded
            # the page is never turned back into a pending invitation.
            renewed = Invitation.objects.filter(pk=invitation.pk, status__in=RESENDABLE).update(
                token_hash=token_hash,
                status=InvitationStatus.PENDING,
                expires_at=expires_at,
                updated_at=timezone.now(),
            )
            if not renewed:
                raise InvitationError(gettext_noop("This invitation was already accepted."))
            invitation.refresh_from_db()
            # The actor is the request's (AuditContextMiddleware).
            audit.record(
                invitation.tenant_id,
                audit.INVITATION_RESENT,
                invitation,
                about=invitation.invited_email,
            )
            _send_email(invitation, token)
    except IntegrityError:
        raise InvitationError(
            gettext_noop("%(email)s already has a newer invitation."),
            email=invitation.invited_email,
        ) from None
    log.info("invitation_resent", invitation_id=str(invitation.public_id))
    return invitation


def revoke(invitation: Invitation) -> None:
    revoked = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, updated_at=timezone.now()
    )
    if not revoked:
        raise InvitationError(
            gettext_noop("Only pending invitations can be revoked; this one is not pending.")
        )
    audit.record(
        invitation.tenant_id,
        audit.INVITATION_REVOKED,
        invitation,
        about=invitation.invited_email,
    )
    log.info("invitation_revoked", invitation_id=str(invitation.public_id))


def remove_member(membership: Membership, removed_by: User) -> None:
    if membership.user_id == removed_by.pk:
        raise InvitationError(gettext_noop("You cannot remove yourself."))
    if membership.role == Role.OWNER:
        raise InvitationError(gettext_noop("The owner cannot be removed."))
    membership.delete()
    log.info("member_removed", member_id=str(membership.public_id))


def _send_email(invitation: Invitation, token: str) -> None:
    try:
        _compose_email(invitation, token).send()
    except (OSError, smtplib.SMTPException) as exc:
        log.error(
            "invitation_email_failed",
            error=exc.__class__.__name__,
            error_category=ErrorCategory.INTEGRATION,
        )
        raise InvitationError(
            gettext_noop(
                "The email to %(email)s could not be sent, so nothing was saved. "
                "Try again in a moment."
            ),
            email=invitation.invited_email,
        ) from None


def _compose_email(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    # Emails are in English (docs/ui.md), whatever language the inviting owner's screens use.
    with translation.override("en"):
        return _render_email(invitation, token)


def _render_email(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    context = {
        "hotel_name": invitation.tenant.name,
        "inviter": invitation.invited_by.email if invitation.invited_by else "The owner",
        "accept_url": accept_url(token),
        "expires_at": invitation.expires_at,
    }
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.invited_email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    return message


# --- the invited person's side (no tenant context yet) ---------------------------------------


class LinkState(StrEnum):
    INVALID = "invalid"  # unknown, expired or revoked: one message for all, reveals nothing
    ACCEPTED = "accepted"
    PENDING = "pending"


@dataclass(frozen=True)
class OpenedInvitation:
    state: LinkState
    invitation: Invitation | None = None

    @property
    def usable(self) -> bool:
        return self.state is LinkState.PENDING


def open_link(token: str | None) -> OpenedInvitation:
    """What an invitation link leads to, read in the issuing hotel's context."""
    if not token or len(token) > 128:
        return OpenedInvitation(LinkState.INVALID)
    token_hash = hash_token(token)
    tenant_id = lookups.tenant_of_invitation(token_hash)
    if tenant_id is None:
        return OpenedInvitation(LinkState.INVALID)
    with acting_for_tenant(tenant_id):
        invitation = (
            Invitation.objects.select_related("tenant", "invited_by")
            .filter(token_hash=token_hash)
            .first()
        )
    if invitation is None:
        return OpenedInvitation(LinkState.INVALID)
    if invitation.status == InvitationStatus.ACCEPTED:
        return OpenedInvitation(LinkState.ACCEPTED, invitation)
    if invitation.status != InvitationStatus.PENDING or invitation.expires_at <= timezone.now():
        return OpenedInvitation(LinkState.INVALID, invitation)
    return OpenedInvitation(LinkState.PENDING, invitation)


def accept(token: str, user: User) -> Membership:
    """Make `user` staff of the inviting hotel. Refuses with InvitationError, changing nothing."""
    opened = open_link(token)
    if not opened.usable or opened.invitation is None:
        raise InvitationError(EXPIRED_MESSAGE)
    invitation = opened.invitation
    if invitation.invited_email.lower() != user.email.lower():
        raise InvitationError(
            gettext_noop(
                "This invitation is for %(invited)s, but you are logged in as %(user)s. "
                "Log out, then open the link again."
            ),
            invited=invitation.invited_email,
            user=user.email,
        )
    if Membership.objects.filter(user=user).exists():
        raise InvitationError(
            gettext_noop(
                "Your account already belongs to a hotel, and an account can belong to only one."
            )
        )
    try:
        with acting_for_tenant(invitation.tenant_id):
            membership = Membership.objects.create(
                tenant_id=invitation.tenant_id, user=user, role=Role.STAFF
            )
            # Token and expiry again, not only the status: a resend or the deadline may have come
            # between opening the link and now.
            updated = Invitation.objects.filter(
                pk=invitation.pk,
                token_hash=hash_token(token),
                status=InvitationStatus.PENDING,
                expires_at__gt=timezone.now(),
            ).update(
                status=InvitationStatus.ACCEPTED,
                accepted_by=user,
                accepted_at=timezone.now(),
                updated_at=timezone.now(),
            )
            if updated != 1:  # revoked or accepted between the read and now
                raise InvitationError(EXPIRED_MESSAGE)
    except IntegrityError:
        log.info("invitation_accept_refused", error_category=ErrorCategory.VALIDATION)
        raise InvitationError(
            gettext_noop(
                "Your account already belongs to a hotel, and an account can belong to only one."
            )
        ) from None
    log.info("invitation_accepted", invitation_id=str(invitation.public_id))
    return membership
