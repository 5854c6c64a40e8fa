"""/settings/team/: the owner invites, resends, revokes and removes; staff never see it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

from tenancy.models import Invitation, InvitationStatus, Membership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.owner)
    return client


@pytest.fixture
def staff_client(hotel_a: factories.Hotel) -> Client:
    client = Client()
    client.force_login(hotel_a.staff)
    return client


def test_it_lists_active_members_with_role_and_joined_date(owner_client: Client, hotel_a) -> None:
    page = owner_client.get("/settings/team/").content.decode()

    assert hotel_a.owner.email in page and hotel_a.staff.email in page
    assert "Owner" in page and "Staff" in page
    assert page.count(">Remove<") == 1, "the owner has no Remove button on their own row"


def test_it_emails_an_invitation_with_a_working_link(owner_client: Client, hotel_a) -> None:
    response = owner_client.post("/settings/team/", {"email": "Front.Desk@example.com"})

    assert response.status_code == 302
    invitation = Invitation.objects.get(tenant=hotel_a.tenant)
    assert invitation.invited_email == "front.desk@example.com"
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.invited_by == hotel_a.owner
    assert 6.9 < (invitation.expires_at - invitation.created_at).total_seconds() / 86400 <= 7
    email = mail.outbox[-1]
    assert email.to == ["front.desk@example.com"]
    assert "Hotel Alpha" in email.subject
    assert "/accept-invite/?token=" in email.body
    assert "/accept-invite/?token=" in email.alternatives[0][0]
    token = email.body.split("token=")[1].split()[0]
    assert token not in invitation.token_hash, "only the token's hash is stored"
    page = owner_client.get("/settings/team/").content.decode()
    assert "front.desk@example.com" in page and "Pending" in page


@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-email", "Enter a valid email address"), ("", "This field is required")],
)
def test_it_explains_a_bad_invitation_address(
    owner_client: Client, email: str, message: str
) -> None:
    response = owner_client.post("/settings/team/", {"email": email})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_it_refuses_to_invite_a_member_or_invite_twice(owner_client: Client, hotel_a) -> None:
    member = owner_client.post("/settings/team/", {"email": hotel_a.staff.email})
    assert "already a member" in member.content.decode()

    owner_client.post("/settings/team/", {"email": "twice@example.com"})
    twice = owner_client.post("/settings/team/", {"email": "TWICE@example.com"})
    assert "already has an invitation" in twice.content.decode()
    assert Invitation.objects.count() == 1


def test_resend_renews_the_expiry_and_sends_again(owner_client: Client, hotel_a) -> None:
    owner_client.post("/settings/team/", {"email": "again@example.com"})
    invitation = Invitation.objects.get()
    old_hash, old_expiry = invitation.token_hash, invitation.expires_at

    owner_client.post(f"/settings/team/invitations/{invitation.public_id}/resend/")

    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash
    assert invitation.expires_at > old_expiry
    assert len(mail.outbox) == 2


def test_revoke_marks_it_revoked(owner_client: Client) -> None:
    owner_client.post("/settings/team/", {"email": "gone@example.com"})
    invitation = Invitation.objects.get()

    owner_client.post(f"/settings/team/invitations/{invitation.public_id}/revoke/")

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert "Revoked" in owner_client.get("/settings/team/").content.decode()


def test_removing_staff_ends_their_access(
    owner_client: Client, staff_client: Client, hotel_a
) -> None:
    assert staff_client.get("/").status_code == 200
    membership = Membership.objects.get(user=hotel_a.staff)

    owner_client.post(f"/settings/team/members/{membership.public_id}/remove/")

    assert not Membership.objects.filter(user=hotel_a.staff).exists()
    assert staff_client.get("/")["Location"] == "/onboarding/"


def test_the_owner_cannot_remove_themselves(owner_client: Client, hotel_a) -> None:
    membership = Membership.objects.get(user=hotel_a.owner)

    response = owner_client.post(
        f"/settings/team/members/{membership.public_id}/remove/", follow=True
    )

    assert "You cannot remove yourself" in response.content.decode()
    assert Membership.objects.filter(user=hotel_a.owner).exists()


def test_staff_cannot_open_or_post_to_team_settings(staff_client: Client, hotel_a) -> None:
    factories.fill_every_table(hotel_a)
    invitation = Invitation.objects.get(tenant=hotel_a.tenant)
    owner_membership = Membership.objects.get(user=hotel_a.owner)

    page = staff_client.get("/settings/team/")
    assert page.status_code == 403
    assert "Owners only" in page.content.decode()
    assert staff_client.post("/settings/team/", {"email": "x@example.com"}).status_code == 403
    for action in ("resend", "revoke"):
        url = f"/settings/team/invitations/{invitation.public_id}/{action}/"
        assert staff_client.post(url).status_code == 403
    remove = f"/settings/team/members/{owner_membership.public_id}/remove/"
    assert staff_client.post(remove).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert Membership.objects.filter(tenant=hotel_a.tenant).count() == 2
    assert not mail.outbox


def test_staff_do_not_see_the_team_menu(staff_client: Client, owner_client: Client) -> None:
    assert 'href="/settings/team/"' not in staff_client.get("/").content.decode()
    assert 'href="/settings/team/"' in owner_client.get("/").content.decode()


def test_it_hides_other_tenants_records(hotel_a, hotel_b) -> None:
    factories.fill_every_table(hotel_a)
    invitation = Invitation.objects.get(tenant=hotel_a.tenant)
    staff_membership = Membership.objects.get(user=hotel_a.staff)
    other_owner = Client()
    other_owner.force_login(hotel_b.owner)

    for action in ("resend", "revoke"):
        url = f"/settings/team/invitations/{invitation.public_id}/{action}/"
        assert other_owner.post(url).status_code == 404
    remove = f"/settings/team/members/{staff_membership.public_id}/remove/"
    assert other_owner.post(remove).status_code == 404
    page = other_owner.get("/settings/team/").content.decode()
    assert hotel_a.staff.email not in page and invitation.invited_email not in page
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert Membership.objects.filter(user=hotel_a.staff).exists()


def test_times_are_shown_in_the_hotels_time_zone(owner_client: Client, hotel_a) -> None:
    hotel_a.tenant.time_zone = "Pacific/Kiritimati"  # UTC+14: the date differs from UTC's
    hotel_a.tenant.save(update_fields=["time_zone"])
    owner_client.post("/settings/team/", {"email": "tz@example.com"})
    invitation = Invitation.objects.get()

    local = invitation.expires_at.astimezone(ZoneInfo("Pacific/Kiritimati"))
    page = owner_client.get("/settings/team/").content.decode()
    assert f"{local:%H:%M}" in page


def test_an_unsendable_invitation_is_not_saved(owner_client: Client, settings) -> None:
    settings.EMAIL_BACKEND = "tests.failing_email.UnreachableSMTPBackend"

    response = owner_client.post("/settings/team/", {"email": "unlucky@example.com"})

    assert response.status_code == 200
    assert "could not be sent, so nothing was saved" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_failed_resend_keeps_the_old_link(owner_client: Client, settings) -> None:
    owner_client.post("/settings/team/", {"email": "keep@example.com"})
    invitation = Invitation.objects.get()
    settings.EMAIL_BACKEND = "tests.failing_email.UnreachableSMTPBackend"

    response = owner_client.post(
        f"/settings/team/invitations/{invitation.public_id}/resend/", follow=True
    )

    assert "could not be sent" in response.content.decode()
    assert Invitation.objects.get().token_hash == invitation.token_hash


def test_a_revoked_invitation_can_be_sent_again(owner_client: Client) -> None:
    owner_client.post("/settings/team/", {"email": "second.chance@example.com"})
    invitation = Invitation.objects.get()
    owner_client.post(f"/settings/team/invitations/{invitation.public_id}/revoke/")

    owner_client.post(f"/settings/team/invitations/{invitation.public_id}/resend/")

    assert Invitation.objects.get().status == InvitationStatus.PENDING
    assert len(mail.outbox) == 2


def test_revoke_and_resend_never_undo_an_acceptance(owner_client: Client, hotel_a) -> None:
    from tenancy import invitations

    joiner = factories.make_user("joiner-")
    owner_client.post("/settings/team/", {"email": joiner.email})
    token = mail.outbox[-1].body.split("token=")[1].split()[0]
    stale = Invitation.objects.get()  # what the owner's page showed
    invitations.accept(token, joiner)  # meanwhile, the invitee accepts

    for action in (invitations.revoke, invitations.resend):
        with pytest.raises(invitations.InvitationError):
            action(stale)

    assert Invitation.objects.get().status == InvitationStatus.ACCEPTED
    assert Membership.objects.filter(user=joiner).exists()
    assert len(mail.outbox) == 1
