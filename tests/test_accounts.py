"""Accounts and onboarding: every row of the plan's "User Types & Initial Routes" table, and the
rules around tokens, sessions and login throttling, driven through the real views."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tenancy import invitations
from tenancy.models import Invitation, InvitationStatus, Membership, Role, Tenant, User
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-password"


def token_from_last_email() -> str:
    link = re.search(r"https?://\S+/accept-invite/\?token=\S+", mail.outbox[-1].body).group(0)
    return parse_qs(urlsplit(link).query)["token"][0]


def invite(hotel: factories.Hotel, email: str) -> str:
    invitations.invite_staff(hotel.tenant, hotel.owner, email)
    return token_from_last_email()


def log_in(client: Client, email: str, password: str = factories.PASSWORD, **query: str):
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return client.post(f"/login/{suffix}", {"username": email, "password": password, **query})


def follow_location(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


# --- the routing table -----------------------------------------------------------------------


def test_brand_new_owner_signs_up_logs_in_and_creates_the_hotel(client: Client) -> None:
    assert client.get("/signup/").status_code == 200
    response = client.post(
        "/signup/",
        {"email": "Owner@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert follow_location(response) == "/verify-email/"
    user = User.objects.get(email="owner@example.com")
    assert not Membership.objects.filter(user=user).exists(), "signup creates no hotel"
    assert not client.get("/").wsgi_request.user.is_authenticated, "signup alone logs nobody in"
    assert "owner@example.com" in client.get("/verify-email/").content.decode()
    assert mail.outbox[-1].to == ["owner@example.com"]

    confirm = re.search(r"https?://\S+(/verify-email/confirm/\?token=\S+)", mail.outbox[-1].body)
    assert follow_location(client.get(confirm.group(1))) == "/login/"
    assert follow_location(log_in(client, "owner@example.com", NEW_PASSWORD)) == "/"
    assert follow_location(client.get("/")) == "/onboarding/"
    assert client.get("/onboarding/").status_code == 200

    response = client.post(
        "/onboarding/create-tenant/",
        {"name": "Villa Kemboja", "time_zone": "Asia/Makassar", "default_language": "id"},
    )
    assert follow_location(response) == "/"
    membership = Membership.objects.select_related("tenant").get(user=user)
    assert membership.role == Role.OWNER
    assert (membership.tenant.name, membership.tenant.time_zone) == (
        "Villa Kemboja",
        "Asia/Makassar",
    )
    page = client.get("/")
    assert page.status_code == 200
    assert "Villa Kemboja is ready" in page.content.decode()


def test_owner_with_a_hotel_logs_in_to_the_dashboard(client: Client, hotel_a) -> None:
    assert follow_location(log_in(client, hotel_a.owner.email)) == "/"
    assert client.get("/").status_code == 200


def test_invited_staff_not_yet_registered_signs_up_with_the_locked_email_and_joins(
    client: Client, hotel_a
) -> None:
    token = invite(hotel_a, "new.staff@example.com")

    signup_url = follow_location(client.get(f"/accept-invite/?token={token}"))
    assert signup_url == f"/signup/?invite_token={token}"
    page = client.get(signup_url)
    assert 'value="new.staff@example.com"' in page.content.decode()
    assert "disabled" in page.content.decode()

    response = client.post(
        signup_url,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "invite_token": token},
    )
    assert follow_location(response) == f"/accept-invite/?token={token}"
    page = client.get(f"/accept-invite/?token={token}")
    assert "Join Hotel Alpha" in page.content.decode()
    assert hotel_a.owner.email in page.content.decode()

    assert follow_location(client.post("/accept-invite/", {"token": token})) == "/"
    staff = User.objects.get(email="new.staff@example.com")
    assert staff.membership.tenant == hotel_a.tenant
    assert staff.membership.role == Role.STAFF
    invitation = Invitation.objects.get(invited_email="new.staff@example.com")
    assert (invitation.status, invitation.accepted_by) == (InvitationStatus.ACCEPTED, staff)
    assert client.get("/").status_code == 200


def test_invited_staff_already_registered_logs_in_and_comes_back_to_accept(
    client: Client, hotel_a
) -> None:
    registered = factories.make_user("registered-")
    token = invite(hotel_a, registered.email)

    login_url = follow_location(client.get(f"/accept-invite/?token={token}"))
    assert login_url == f"/login/?invite_token={token}"
    assert client.get(login_url).status_code == 200
    response = log_in(client, registered.email, invite_token=token)
    assert follow_location(response) == f"/accept-invite/?token={token}"

    assert follow_location(client.post("/accept-invite/", {"token": token})) == "/"
    assert Membership.objects.get(user=registered).tenant == hotel_a.tenant


def test_invited_staff_already_logged_in_accepts_directly(client: Client, hotel_a) -> None:
    registered = factories.make_user("registered-")
    token = invite(hotel_a, registered.email)
    client.force_login(registered)

    page = client.get(f"/accept-invite/?token={token}")
    assert page.status_code == 200
    assert "Accept invitation" in page.content.decode()
    assert follow_location(client.post("/accept-invite/", {"token": token})) == "/"
    assert Membership.objects.get(user=registered).role == Role.STAFF


def test_an_expired_invitation_shows_the_error_and_joins_nobody(client: Client, hotel_a) -> None:
    registered = factories.make_user("registered-")
    token = invite(hotel_a, registered.email)
    client.force_login(registered)

    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        page = client.get(f"/accept-invite/?token={token}")
        accepted = client.post("/accept-invite/", {"token": token})

    assert page.status_code == 410
    assert "Link expired. Ask your hotel owner to re-invite you." in page.content.decode()
    assert accepted.status_code == 410
    assert not Membership.objects.filter(user=registered).exists()


def test_an_accepted_invitation_sends_to_login(client: Client, hotel_a) -> None:
    registered = factories.make_user("registered-")
    token = invite(hotel_a, registered.email)
    invitations.accept(token, registered)

    assert follow_location(client.get(f"/accept-invite/?token={token}")) == "/login/"


def test_staff_without_an_invitation_waits_on_onboarding(client: Client) -> None:
    waiting = factories.make_user("waiting-")
    assert follow_location(log_in(client, waiting.email)) == "/"
    assert follow_location(client.get("/")) == "/onboarding/"

    page = client.get("/onboarding/?invited=1")
    assert "I was invited to a hotel" in page.content.decode()
    assert "invitation email" in page.content.decode()


def test_a_logged_in_user_without_a_hotel_goes_to_onboarding(client: Client) -> None:
    client.force_login(factories.make_user("lonely-"))
    assert follow_location(client.get("/")) == "/onboarding/"
    assert "I own a hotel" in client.get("/onboarding/").content.decode()


def test_no_session_goes_to_login_and_back_where_it_was_going(client: Client, hotel_a) -> None:
    assert follow_location(client.get("/settings/team/")) == "/login/?next=/settings/team/"
    response = client.post(
        "/login/?next=/settings/team/",
        {
            "username": hotel_a.owner.email,
            "password": factories.PASSWORD,
            "next": "/settings/team/",
        },
    )
    assert follow_location(response) == "/settings/team/"


# --- token rules -----------------------------------------------------------------------------


def test_a_revoked_invitation_is_dead_at_once(client: Client, hotel_a) -> None:
    token = invite(hotel_a, "revoked@example.com")
    client.force_login(hotel_a.owner)
    invitation = Invitation.objects.get(invited_email="revoked@example.com")

    client.post(f"/settings/team/invitations/{invitation.public_id}/revoke/")

    assert client.get(f"/accept-invite/?token={token}").status_code == 410
    assert client.get(f"/signup/?invite_token={token}").status_code == 410


def test_resending_kills_the_old_link_and_sends_a_working_one(client: Client, hotel_a) -> None:
    registered = factories.make_user("registered-")
    old_token = invite(hotel_a, registered.email)
    owner = Client()
    owner.force_login(hotel_a.owner)
    invitation = Invitation.objects.get(invited_email=registered.email)

    owner.post(f"/settings/team/invitations/{invitation.public_id}/resend/")
    new_token = token_from_last_email()

    assert new_token != old_token
    client.force_login(registered)
    assert client.post("/accept-invite/", {"token": old_token}).status_code == 410
    assert follow_location(client.post("/accept-invite/", {"token": new_token})) == "/"


def test_an_accepted_token_cannot_be_used_again(client: Client, hotel_a) -> None:
    first = factories.make_user("first-")
    token = invite(hotel_a, first.email)
    invitations.accept(token, first)
    Membership.objects.filter(user=first).delete()  # even after losing access

    client.force_login(first)
    assert follow_location(client.post("/accept-invite/", {"token": token})) == "/login/"
    assert not Membership.objects.filter(user=first).exists()


def test_a_token_for_one_email_cannot_be_accepted_by_another_account(
    client: Client, hotel_a
) -> None:
    token = invite(hotel_a, "intended@example.com")
    other = factories.make_user("other-")
    client.force_login(other)

    page = client.get(f"/accept-invite/?token={token}")
    post = client.post("/accept-invite/", {"token": token})

    assert page.status_code == 403 and post.status_code == 403
    assert "This invitation is for intended@example.com" in page.content.decode()
    assert not Membership.objects.filter(user=other).exists()
    with pytest.raises(invitations.InvitationError):
        invitations.accept(token, other)


def test_signup_ignores_a_changed_email_for_an_invitation(client: Client, hotel_a) -> None:
    token = invite(hotel_a, "invited@example.com")

    client.post(
        f"/signup/?invite_token={token}",
        {
            "email": "attacker@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "invite_token": token,
        },
    )

    assert User.objects.filter(email="invited@example.com").exists()
    assert not User.objects.filter(email="attacker@example.com").exists()


def test_an_unknown_token_says_the_link_expired(client: Client, db) -> None:
    page = client.get("/accept-invite/?token=made-up")
    assert page.status_code == 410
    assert "Link expired" in page.content.decode()
    assert client.get("/accept-invite/").status_code == 410


def test_a_member_of_another_hotel_cannot_accept(client: Client, hotel_a, hotel_b) -> None:
    token = invite(hotel_a, hotel_b.staff.email)
    client.force_login(hotel_b.staff)

    assert (
        "already belongs to Hotel Bravo"
        in client.get(f"/accept-invite/?token={token}").content.decode()
    )
    assert client.post("/accept-invite/", {"token": token}).status_code == 409
    assert Membership.objects.get(user=hotel_b.staff).tenant == hotel_b.tenant


# --- sessions and throttling -----------------------------------------------------------------


def test_fifteen_idle_minutes_log_the_user_out(client: Client, hotel_a) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        log_in(client, hotel_a.owner.email)
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=15, seconds=5))
        assert follow_location(client.get("/")) == "/login/?next=/"


def test_activity_keeps_the_session_alive(client: Client, hotel_a) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        log_in(client, hotel_a.owner.email)
        for _ in range(3):
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get("/").status_code == 200


def test_repeated_failures_throttle_even_the_right_password_until_the_cool_off(
    client: Client, hotel_a, settings
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = log_in(client, hotel_a.owner.email, "wrong-password")
        assert "Too many login attempts, try again later" in response.content.decode()

        right = log_in(client, hotel_a.owner.email)
        assert right.status_code == 429
        assert "Too many login attempts, try again later" in right.content.decode()
        assert not client.get("/").wsgi_request.user.is_authenticated

        traveller.shift(dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
        assert follow_location(log_in(client, hotel_a.owner.email)) == "/"


PROXY = "10.0.0.2"  # a reverse proxy in front of Innbox: every request connects from it


def fail_login(client: Client, email: str, address: str = PROXY, **headers: str):
    response = client.post(
        "/login/", {"username": email, "password": "wrong-password"}, REMOTE_ADDR=address, **headers
    )
    assert response.status_code in (200, 429)
    return response


def login_from(client: Client, email: str, address: str = PROXY, **headers: str):
    return Client().post(
        "/login/",
        {"username": email, "password": factories.PASSWORD},
        REMOTE_ADDR=address,
        **headers,
    )


def test_failures_for_one_account_lock_only_that_account_at_that_address(
    client: Client, hotel_a, settings
) -> None:
    owner, staff = hotel_a.owner.email, hotel_a.staff.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        fail_login(client, owner.upper())

    assert login_from(client, staff).status_code == 302, "a colleague behind the same proxy"
    assert login_from(client, owner).status_code == 429
    assert login_from(client, owner, "198.51.100.9").status_code == 302, "the owner elsewhere"


def test_another_accounts_login_does_not_clear_the_failures_against_one(
    client: Client, hotel_a, settings
) -> None:
    owner, staff = hotel_a.owner.email, hotel_a.staff.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS - 1):
        fail_login(client, owner)
    assert login_from(client, staff).status_code == 302
    fail_login(client, owner)

    assert login_from(client, owner).status_code == 429


def test_an_account_guessed_at_from_many_addresses_locks_everywhere(
    client: Client, hotel_a, settings
) -> None:
    owner = hotel_a.owner.email
    limit = settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT
    assert limit > settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    for attempt in range(limit - 1):
        assert fail_login(client, owner, f"203.0.113.{attempt}").status_code == 200
    assert fail_login(client, owner, "203.0.113.200").status_code == 429

    assert login_from(client, owner, "198.51.100.9").status_code == 429


def test_a_login_clears_only_its_own_addresss_failures(client: Client, hotel_a, settings) -> None:
    owner = hotel_a.owner.email
    for attempt in range(settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT - 1):
        fail_login(client, owner, f"203.0.113.{attempt}")
    assert login_from(client, owner, "198.51.100.9").status_code == 302

    assert fail_login(client, owner, "203.0.113.200").status_code == 429


def test_behind_a_configured_proxy_two_clients_are_told_apart(
    client: Client, hotel_a, settings
) -> None:
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    owner = hotel_a.owner.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        fail_login(client, owner, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert login_from(client, owner, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    assert login_from(client, owner, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # The proxy appends the address it saw; whatever the client wrote before it is not believed.
    spoofed = "198.51.100.2, 198.51.100.1"
    assert login_from(client, owner, HTTP_X_FORWARDED_FOR=spoofed).status_code == 429


def test_two_trusted_proxies_count_from_the_right(client: Client, hotel_a, settings) -> None:
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 2
    owner = hotel_a.owner.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        fail_login(client, owner, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1, 10.0.0.1")

    blocked = login_from(client, owner, HTTP_X_FORWARDED_FOR="7.7.7.7, 198.51.100.1, 10.0.0.1")
    other = login_from(client, owner, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.2, 10.0.0.1")
    assert (blocked.status_code, other.status_code) == (429, 302)


def test_without_a_configured_proxy_a_forwarded_for_header_is_ignored(
    client: Client, hotel_a, settings
) -> None:
    assert settings.TRUSTED_PROXY_HEADER is None
    owner = hotel_a.owner.email
    for attempt in range(settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS):
        fail_login(client, owner, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    assert login_from(client, owner, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_wrong_credentials_say_so_without_saying_which(client: Client, hotel_a) -> None:
    unknown = log_in(client, "nobody@example.com", "whatever-pass")
    wrong = log_in(client, hotel_a.owner.email, "whatever-pass")
    for response in (unknown, wrong):
        assert response.status_code == 200
        assert "Email or password is incorrect" in response.content.decode()


def test_logout_needs_a_post_and_ends_the_session(client: Client, hotel_a) -> None:
    client.force_login(hotel_a.owner)
    assert client.get("/logout/").status_code == 405
    assert follow_location(client.post("/logout/")) == "/login/"
    assert follow_location(client.get("/")) == "/login/?next=/"


# --- onboarding rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Ab", "at least 3 characters"),
        ("x" * 101, "at most 100 characters"),
        ("<script>alert(1)</script>", "common punctuation"),
        ("1234", "at least one letter"),
    ],
)
def test_hotel_names_follow_the_rules(client: Client, name: str, error: str) -> None:
    client.force_login(factories.make_user("owner-"))
    response = client.post(
        "/onboarding/create-tenant/",
        {"name": name, "time_zone": "Asia/Jakarta", "default_language": "en"},
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Tenant.objects.exists()


@pytest.mark.parametrize("name", ["Hôtel Le Méridien", "Villa Kemboja & Spa", "The 1929 (Ubud)"])
def test_real_hotel_names_are_accepted(client: Client, name: str) -> None:
    client.force_login(factories.make_user("owner-"))
    response = client.post(
        "/onboarding/create-tenant/",
        {"name": name, "time_zone": "Europe/Paris", "default_language": "fr"},
    )
    assert follow_location(response) == "/"
    assert Tenant.objects.get().name == name


@pytest.mark.parametrize("persona", ["owner", "staff"])
def test_a_member_cannot_create_a_second_hotel(client: Client, hotel_a, persona: str) -> None:
    client.force_login(getattr(hotel_a, persona))

    assert follow_location(client.get("/onboarding/create-tenant/")) == "/"
    response = client.post(
        "/onboarding/create-tenant/",
        {"name": "Second Hotel", "time_zone": "Asia/Jakarta", "default_language": "en"},
    )
    assert follow_location(response) == "/"
    assert Tenant.objects.count() == 1


def test_password_reset_by_email(client: Client, hotel_a) -> None:
    response = client.post("/password-reset/", {"email": hotel_a.owner.email})
    assert follow_location(response) == "/password-reset/sent/"
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", mail.outbox[-1].body).group(0)

    form_url = follow_location(client.get(urlsplit(link).path))
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert follow_location(log_in(client, hotel_a.owner.email, NEW_PASSWORD)) == "/"
    reused = client.get(urlsplit(link).path)
    assert "invalid or was already used" in reused.content.decode()


def test_accepting_rechecks_the_token_and_expiry_at_the_last_moment(
    hotel_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    joiner = factories.make_user("joiner-")
    old_token = invite(hotel_a, joiner.email)
    opened_before_the_resend = invitations.open_link(old_token)
    invitations.resend(Invitation.objects.get())
    # The race: the link was checked, then the owner resent before the accept was written.
    monkeypatch.setattr(invitations, "open_link", lambda token: opened_before_the_resend)

    with pytest.raises(invitations.InvitationError):
        invitations.accept(old_token, joiner)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=8)),
        pytest.raises(invitations.InvitationError),
    ):
        invitations.accept(token_from_last_email(), joiner)
    assert not Membership.objects.filter(user=joiner).exists()
