"""A person opens Innbox in Chromium, logs in and reaches their hotel's dashboard."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_logs_in_and_sees_the_dashboard(live_server, page, screenshot) -> None:
    hotel = factories.make_hotel("Hotel Alpha")

    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/login/?next=/"
    assert page.get_by_role("heading", name="Log in").is_visible()
    screenshot("login")

    page.get_by_label("Email").fill(hotel.owner.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.locator("#sidebar").get_by_text("Hotel Alpha").is_visible()
    screenshot("dashboard")


def test_a_wrong_password_says_so(live_server, page, screenshot) -> None:
    hotel = factories.make_hotel("Hotel Alpha")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(hotel.owner.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    assert page.get_by_role("alert").inner_text() == "Email or password is incorrect"
    screenshot("wrong-password")
