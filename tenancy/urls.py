from django.urls import path

from tenancy.views import (
    accept_invite,
    account,
    audit,
    auth,
    hotel,
    onboarding,
    team,
    verification,
)

urlpatterns = [
    path("signup/", auth.signup, name="signup"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    path("verify-email/", verification.check_email, name="verify_email"),
    path("verify-email/resend/", verification.resend, name="verify_email_resend"),
    path("verify-email/confirm/", verification.confirm, name="verify_email_confirm"),
    path("onboarding/", onboarding.onboarding, name="onboarding"),
    path("onboarding/create-tenant/", onboarding.create_tenant, name="create_tenant"),
    path("accept-invite/", accept_invite.accept_invite, name="accept_invite"),
    path("account/language/", account.set_language, name="set_language"),
    path("settings/hotel/", hotel.hotel_settings, name="hotel_settings"),
    path("settings/team/", team.team, name="team"),
    path("settings/audit/", audit.audit_log, name="audit_log"),
    path(
        "settings/team/invitations/<uuid:public_id>/resend/",
        team.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "settings/team/invitations/<uuid:public_id>/revoke/",
        team.revoke_invitation,
        name="revoke_invitation",
    ),
    path(
        "settings/team/members/<uuid:public_id>/remove/",
        team.remove_member,
        name="remove_member",
    ),
]
