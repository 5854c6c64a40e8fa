"""Signup email verification (tenancy.verification): a new account confirms its address by a
signed, expiring emailed link before it can create a hotel or accept an invitation; until then it
sees "check your email" with a rate-limited resend."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.test import Client
from django.utils import timezone

from tenancy import invitations, verification
from tenancy.models import Membership, Tenant, User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-new-password"
HOTEL = {"name": "Villa Kemboja", "time_zone": "Asia/Makassar", "default_language": "id"}


def sign_up(client: Client, email: str) -> User:
    response = client.post(
        "/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response["Location"] == "/verify-email/"
    return User.objects.get(email=email)


def confirm_link(email: str) -> str:
    links = [
        found.group(0)
        for message in mail.outbox
        if message.to == [email]
        and (found := re.search(r"https?://\S+/verify-email/confirm/\?token=\S+", message.body))
    ]
    link = links[-1]
    return f"{urlsplit(link).path}?{urlsplit(link).query}"


def log_in(client: Client, email: str) -> None:
    assert client.post("/login/", {"username": email, "password": PASSWORD})["Location"] == "/"


def test_a_new_account_must_confirm_before_creating_a_hotel(client: Client) -> None:
    user = sign_up(client, "founder@example.com")
    assert not user.email_verified
    page = client.get("/verify-email/").content.decode()
    assert "founder@example.com" in page and "Send the link again" in page
    assert mail.outbox[-1].to == ["founder@example.com"]
    assert "Confirm your email address" in mail.outbox[-1].subject

    log_in(client, "founder@example.com")
    assert client.get("/onboarding/")["Location"] == "/verify-email/"
    assert client.post("/onboarding/create-tenant/", HOTEL)["Location"] == "/verify-email/"
    assert not Tenant.objects.exists()

    response = client.get(confirm_link("founder@example.com"))
    assert response["Location"] == "/onboarding/"
    user.refresh_from_db()
    assert user.email_verified
    assert client.post("/onboarding/create-tenant/", HOTEL)["Location"] == "/"
    assert Membership.objects.get(user=user).tenant.name == "Villa Kemboja"


def test_the_link_confirms_in_another_browser_and_then_asks_to_log_in(client: Client) -> None:
    sign_up(client, "founder@example.com")
    elsewhere = Client()
    response = elsewhere.get(confirm_link("founder@example.com"), follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "Log in to continue" in response.content.decode()
    assert User.objects.get(email="founder@example.com").email_verified


@pytest.mark.parametrize("spoil", ["expired", "tampered", "address changed"])
def test_a_spoiled_link_confirms_nothing(client: Client, spoil: str) -> None:
    user = sign_up(client, "founder@example.com")
    link = confirm_link("founder@example.com")
    when = timezone.now()
    if spoil == "expired":
        when += verification.LINK_LIFETIME + dt.timedelta(minutes=1)
    elif spoil == "tampered":
        link = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    else:
        User.objects.filter(pk=user.pk).update(email="someone.else@example.com")
    with time_machine.travel(when):
        response = client.get(link)
    assert response.status_code == 410
    assert "expired or is not valid" in response.content.decode()
    user.refresh_from_db()
    assert not user.email_verified


def test_resending_is_rate_limited(client: Client) -> None:
    sign_up(client, "founder@example.com")
    assert len(mail.outbox) == 1
    too_soon = client.post("/verify-email/resend/")
    assert too_soon.status_code == 429 and "Wait a minute" in too_soon.content.decode()
    assert len(mail.outbox) == 1

    start = timezone.now()
    for minute in range(1, verification.SENDS_PER_DAY):
        with time_machine.travel(start + dt.timedelta(minutes=2 * minute)):
            assert client.post("/verify-email/resend/")["Location"] == "/verify-email/"
    assert len(mail.outbox) == verification.SENDS_PER_DAY
    with time_machine.travel(start + dt.timedelta(minutes=12)):
        refused = client.post("/verify-email/resend/")
    assert refused.status_code == 429 and "try again tomorrow" in refused.content.decode()
    with time_machine.travel(start + dt.timedelta(days=1, hours=1)):
        tomorrow = Client()  # the signup's session has long expired: log in to resend
        log_in(tomorrow, "founder@example.com")
        assert tomorrow.post("/verify-email/resend/")["Location"] == "/verify-email/"
    assert len(mail.outbox) == verification.SENDS_PER_DAY + 1
    # The latest link works (each one does, until it expires).
    assert client.get(confirm_link("founder@example.com")).status_code == 302


def test_a_resent_link_reaches_a_logged_in_account_too(client: Client) -> None:
    sign_up(client, "founder@example.com")
    other_browser = Client()
    log_in(other_browser, "founder@example.com")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        other_browser.post("/verify-email/resend/")
    assert len(mail.outbox) == 2 and mail.outbox[-1].to == ["founder@example.com"]


def test_an_unconfirmed_account_confirms_before_accepting_and_comes_back_to_it(
    client: Client, hotel_a
) -> None:
    sign_up(client, "late.joiner@example.com")
    invitations.invite_staff(hotel_a.tenant, hotel_a.owner, "late.joiner@example.com")
    token = parse_qs(urlsplit(re.search(r"https?://\S+", mail.outbox[-1].body).group(0)).query)[
        "token"
    ][0]
    log_in(client, "late.joiner@example.com")

    assert client.get(f"/accept-invite/?token={token}")["Location"] == "/verify-email/"
    assert client.post("/accept-invite/", {"token": token})["Location"] == "/verify-email/"
    assert not Membership.objects.filter(user__email="late.joiner@example.com").exists()

    back = client.get(confirm_link("late.joiner@example.com"))["Location"]
    assert back == f"/accept-invite/?token={token}"
    assert client.post("/accept-invite/", {"token": token})["Location"] == "/"
    assert Membership.objects.get(user__email="late.joiner@example.com").tenant == hotel_a.tenant


def test_signing_up_from_an_invitation_needs_no_second_email(client: Client, hotel_a) -> None:
    """The invitation reached the address (the signup form locks the email to it): proof
    enough, so the invited person goes straight on to accept."""
    invitations.invite_staff(hotel_a.tenant, hotel_a.owner, "new.desk@example.com")
    token = parse_qs(urlsplit(re.search(r"https?://\S+", mail.outbox[-1].body).group(0)).query)[
        "token"
    ][0]
    response = client.post(
        f"/signup/?invite_token={token}",
        {"password1": PASSWORD, "password2": PASSWORD, "invite_token": token},
    )
    assert response["Location"] == f"/accept-invite/?token={token}"
    assert User.objects.get(email="new.desk@example.com").email_verified
    assert len(mail.outbox) == 1, "only the invitation"


def test_the_check_page_without_an_account_goes_to_login(client: Client) -> None:
    assert client.get("/verify-email/")["Location"] == "/login/"
    assert client.post("/verify-email/resend/")["Location"] == "/login/"


def test_accounts_older_than_the_check_count_as_verified() -> None:
    older = factories.make_user("older-", verified=False)
    migration = importlib.import_module("tenancy.migrations.0006_email_verification")
    migration.existing_accounts_are_verified(apps, None)
    older.refresh_from_db()
    assert older.email_verified_at == older.date_joined


def test_the_page_speaks_indonesian(client: Client) -> None:
    sign_up(client, "founder@example.com")
    page = client.get("/verify-email/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Kirim tautan lagi" in page and "Send the link again" not in page
