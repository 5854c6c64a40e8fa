"""In Chromium: an owner signs up and creates the hotel, invites a staff member, and the staff
member joins from the emailed link and lands on the dashboard without the team menu."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER_EMAIL = "made@villa-kemboja.test"
STAFF_EMAIL = "ketut@villa-kemboja.test"
PASSWORD = "sunrise-over-agung-42"


def test_owner_sets_up_the_hotel_and_staff_joins_from_the_email(
    live_server, browser, page, screenshot, mailoutbox, settings
) -> None:
    settings.APP_URL = live_server.url  # the emailed link points at this server
    base = live_server.url

    page.goto(f"{base}/signup/")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    screenshot("1-signup")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(f"{base}/verify-email/")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert page.get_by_text(OWNER_EMAIL).is_visible()
    screenshot("1b-check-your-email")
    confirm = re.search(r"http\S+/verify-email/confirm/\?token=\S+", mailoutbox[-1].body).group(0)
    page.goto(confirm)

    page.wait_for_url(f"{base}/login/")
    assert page.get_by_text("Your email address is confirmed. Log in to continue.").is_visible()
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("2-login")
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{base}/onboarding/")
    screenshot("3-onboarding")
    page.get_by_role("link", name=re.compile("I own a hotel")).click()

    page.wait_for_url(f"{base}/onboarding/create-tenant/")
    page.get_by_label("Hotel name").fill("Villa Kemboja")
    page.get_by_label("Time zone").select_option("Asia/Makassar")
    page.get_by_label("Default guest language").select_option("id")
    screenshot("4-create-hotel")
    page.get_by_role("button", name="Create hotel").click()

    page.wait_for_url(f"{base}/")
    assert page.get_by_text("Villa Kemboja is ready").is_visible()
    screenshot("5-owner-dashboard")
    page.get_by_role("link", name="Team").click()

    page.wait_for_url(f"{base}/settings/team/")
    page.get_by_label("Staff email").fill(STAFF_EMAIL)
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_text(f"Invitation sent to {STAFF_EMAIL}").is_visible()
    assert page.get_by_role("cell", name=STAFF_EMAIL).is_visible()
    screenshot("6-team-invited")

    link = re.search(r"http\S+/accept-invite/\?token=\S+", mailoutbox[-1].body).group(0)
    staff_context = browser.new_context(viewport={"width": 390, "height": 844})
    staff = staff_context.new_page()
    try:
        staff.goto(link)
        staff.wait_for_url(re.compile(r"/signup/\?invite_token="))
        email_field = staff.get_by_label("Email")
        assert email_field.input_value() == STAFF_EMAIL
        assert email_field.is_disabled()
        staff.get_by_label("Password", exact=True).fill(PASSWORD)
        staff.get_by_label("Confirm password").fill(PASSWORD)
        screenshot("7-staff-signup", of=staff)
        staff.get_by_role("button", name="Create account").click()

        staff.wait_for_url(re.compile(r"/accept-invite/\?token="))
        assert staff.get_by_role("heading", name="Join Villa Kemboja").is_visible()
        assert staff.get_by_text(OWNER_EMAIL).is_visible()
        screenshot("8-staff-accept", of=staff)
        staff.get_by_role("button", name="Accept invitation").click()

        staff.wait_for_url(f"{base}/")
        assert staff.get_by_text("Welcome to Villa Kemboja!").is_visible()
        # A phone: the account and the menu sit behind the menu button.
        staff.get_by_role("button", name="Menu").click()
        assert staff.get_by_text("Staff", exact=True).is_visible()
        assert staff.get_by_role("link", name="Team").count() == 0
        screenshot("9-staff-dashboard", of=staff)
    finally:
        staff_context.close()

    page.get_by_role("button", name="Log out").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    screenshot("10-logout-dialog")
    dialog.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/login/")
