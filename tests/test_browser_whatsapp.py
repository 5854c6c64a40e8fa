"""In Chromium, against the fake WAHA: the owner connects the hotel's WhatsApp by QR code."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_connects_whatsapp_by_qr_and_disconnects(
    live_server, page, screenshot, fake_waha, settings
) -> None:
    settings.APP_URL = live_server.url  # WAHA's webhooks come back to this server
    hotel = factories.make_hotel("Hotel Alpha")
    page.context.add_cookies(session_cookie(live_server.url, hotel.owner))

    page.goto(f"{live_server.url}/settings/waha/")
    status = page.locator(".status-label")
    assert status.inner_text() == "Disconnected"
    screenshot("1-disconnected")

    page.get_by_role("button", name="Connect WhatsApp").click()
    qr = page.get_by_role("img", name="QR code to link the hotel's WhatsApp")
    qr.wait_for(state="visible")
    assert status.inner_text() == "Scan the QR code"
    # The image is a real PNG from WAHA (through Innbox), not a broken-image icon.
    page.wait_for_function(
        "() => { const image = document.querySelector('img.qr');"
        " return image && image.complete && image.naturalWidth > 0; }"
    )
    screenshot("2-scan-qr")

    fake_waha.pair("default", phone="+6281100001111", push_name="Hotel Alpha Front Desk")

    page.get_by_text("+6281100001111").wait_for(state="visible")  # no reload: the page polls
    assert status.inner_text() == "Connected"
    assert page.get_by_text("Hotel Alpha Front Desk").is_visible()
    assert qr.count() == 0
    assert page.get_by_role("link", name=re.compile(r"wa\.me.6281100001111")).is_visible()
    screenshot("3-connected")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect").click()
    page.get_by_role("button", name="Connect WhatsApp").wait_for(state="visible")
    assert status.inner_text() == "Disconnected"
    screenshot("4-disconnected-again")
