"""A person in a real Chromium creates an app password on the account page, a program uses it
through nginx, and the person revokes it (issue 12)."""

from __future__ import annotations

import pyotp
import pytest
import requests
from playwright.sync_api import Browser

from tests.e2e.factor_life import enrolled_user
from tests.e2e.harness import PASSWORD
from tests.forward_auth.conftest import Proxied

pytestmark = pytest.mark.browser


def test_creating_using_through_nginx_and_revoking_an_app_password(
    proxied: Proxied, chromium: Browser
) -> None:
    live = proxied.bridge
    _, secret = enrolled_user(live, "paula")
    page = chromium.new_context().new_page()
    page.goto(live.url + "/account")
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).at(live.clock()))
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("heading", name="Your account").wait_for()
    live.clock.advance(30)

    page.get_by_label("What is it for?").fill("Backup script")
    page.locator("#app-password-code").fill(pyotp.TOTP(secret).at(live.clock()))
    page.get_by_role("button", name="Create app password").click()
    page.get_by_role("heading", name="Your new app password").wait_for()
    app_password = page.locator("#app-password").input_value()

    reports = proxied.proxy.url + "/reports"
    used = requests.get(reports, auth=("paula", app_password), timeout=10)
    assert used.status_code == 200 and used.json()["user"] == "paula"

    page.get_by_role("link", name="Back to your account").click()
    row = page.locator("tr.app-password", has_text="Backup script")
    assert "from 127.0.0.1" in row.locator(".last-used").inner_text()
    row.get_by_role("button", name="Revoke").click()
    page.locator("#no-app-passwords").wait_for()
    assert requests.get(reports, auth=("paula", app_password), timeout=10).status_code == 401
