"""Signup email verification: a new account proves its address before it creates or joins a hotel.

The link carries a signed, timestamped token (django.core.signing, salted for this purpose only)
naming the account and the address; it works for LINK_LIFETIME and only for that address, so
nothing is stored for it. Sending is limited per account (RESEND_GAP between two emails, at most
SENDS_PER_DAY a day), counted in email_verification_sends: a signup with someone else's address
cannot be turned into a mail bomb.

Accounts older than the check count as verified (tenancy 0006), and so does an account signed
up from an invitation link: the invitation reached that address, which is the same proof.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from innbox.i18n import TranslatedError
from innbox.logs import ErrorCategory, get_logger
from tenancy.models import User, VerificationEmail

LINK_LIFETIME = dt.timedelta(days=2)
LINK_HOURS = int(LINK_LIFETIME.total_seconds() // 3600)
RESEND_GAP = dt.timedelta(minutes=1)
SENDS_PER_DAY = 5
SALT = "innbox.tenancy.email-verification"
# Where a verified account goes next (an invitation it opened before confirming), per session.
AFTER_VERIFICATION = "innbox_after_verification"
# The account that just signed up, so its "check your email" page can resend before it logs in.
SIGNED_UP = "innbox_signed_up_user"

log = get_logger(__name__)


class VerificationError(TranslatedError):
    """A refusal to show the person, in words they can act on."""


class TooSoon(VerificationError):
    pass


def make_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=SALT)


def confirm_url(token: str) -> str:
    return f"{settings.APP_URL}{reverse('verify_email_confirm')}?{urlencode({'token': token})}"


def send(user: User) -> None:
    """Email the link to `user`, within the limits; refuses with TooSoon or VerificationError."""
    now = timezone.now()
    with transaction.atomic():
        # One sender at a time per account: two quick clicks cannot both pass the count.
        User.objects.select_for_update().filter(pk=user.pk).first()
        sent = VerificationEmail.objects.filter(user=user, sent_at__gt=now - dt.timedelta(days=1))
        latest = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
        if latest is not None and latest > now - RESEND_GAP:
            raise TooSoon(
                gettext_noop("An email is on its way. Wait a minute before asking for another.")
            )
        if sent.count() >= SENDS_PER_DAY:
            raise TooSoon(
                gettext_noop(
                    "We have sent %(count)d emails to this address today. Check your spam "
                    "folder, or try again tomorrow."
                ),
                count=SENDS_PER_DAY,
            )
        VerificationEmail.objects.filter(
            user=user, sent_at__lte=now - dt.timedelta(days=1)
        ).delete()
        VerificationEmail.objects.create(user=user, sent_at=now)
        try:
            _compose(user).send()
        except (OSError, smtplib.SMTPException) as exc:
            log.error(
                "verification_email_failed",
                error=exc.__class__.__name__,
                error_category=ErrorCategory.INTEGRATION,
            )
            # The send is not counted: the rollback removes it.
            raise VerificationError(
                gettext_noop("The email could not be sent. Try again in a moment.")
            ) from None
    log.info("verification_email_sent", user_id=user.pk)


def _compose(user: User) -> EmailMultiAlternatives:
    # Emails are in English (docs/ui.md), like the invitation and the password reset.
    with translation.override("en"):
        context = {
            "confirm_url": confirm_url(make_token(user)),
            "hours": LINK_HOURS,
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("emails/verify_email_subject.txt", context).strip(),
            body=render_to_string("emails/verify_email.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("emails/verify_email.html", context), "text/html"
        )
    return message


def confirm(token: str) -> User | None:
    """The account the link confirms (now verified), or None for a bad, expired or stale link."""
    if not token or len(token) > 512:
        return None
    try:
        claims = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(claims, dict):
        return None
    user_id = claims.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or user.email.lower() != str(claims.get("email", "")).lower():
        return None
    if user.email_verified_at is None:
        User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        user.refresh_from_db(fields=["email_verified_at"])
        log.info("email_verified", user_id=user.pk)
    return user


def unverified_redirect(request: HttpRequest, *, then: str = "") -> HttpResponse | None:
    """For pages that create or join a hotel: an unconfirmed account goes to "check your email"
    (and, once confirmed in this browser, on to `then`)."""
    user = request.user
    if not user.is_authenticated or getattr(user, "email_verified", True):
        return None
    if then:
        request.session[AFTER_VERIFICATION] = then
    return redirect("verify_email")
