"""Issue 14's journey in a real Chromium: a person who forgot their password asks for a link
from the sign-in page of an application, reads the mail the real SMTP server received, opens
the link, chooses a new password, still gives their TOTP code, and is back at the application,
which redeemed the code over HTTP. The old password no longer works."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, LiveBridge
from tests.e2e.web_app import WebApp, web_app
from tests.factors.smtp_server import Inbox
from tests.passwords.conftest import MAIL_ENV, NEW_PASSWORD, delivered, reset_link, text_of

pytestmark = [pytest.mark.browser, pytest.mark.bridge_env(MAIL_ENV)]
WRONG = "Incorrect username or password."


def _sign_in_page_of(page: Page, app: WebApp) -> None:
    page.goto(app.url)
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.locator("#signing-in-to").inner_text() == "to Notes"


def _sign_in(page: Page, password: str) -> None:
    page.get_by_label("Username or e-mail").fill("ada")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_forgot_password_mail_new_password_totp_code_and_back_at_the_application(
    live: LiveBridge, inbox: Inbox, page: Page, chromium: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    with web_app(live, "Notes") as app:
        _sign_in_page_of(page, app)
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_role("heading", name="Forgot your password?").wait_for()
        page.get_by_label("Username or e-mail").fill("ada")
        page.get_by_role("button", name="Send the link").click()
        page.get_by_role("heading", name="Check your e-mail").wait_for()
        assert "a link is on its way" in page.locator("main").inner_text()

        link = reset_link(live, inbox)
        assert delivered(live, inbox) == [(["ada@example.com"], "Set a new password")]
        assert text_of(inbox).startswith("Hello ada,")
        assert link.startswith(live.url + "/password/reset/")

        page.goto(link)
        page.get_by_role("heading", name="Choose a new password").wait_for()
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set the new password").click()

        # A new password never replaces the second factor: the code is asked for first.
        page.get_by_role("heading", name="Two-factor authentication").wait_for()
        assert page.url.startswith(live.url + "/")
        assert app.signed_in == []
        # The person takes out their phone. (On the frozen clock, a code issued at the very
        # instant the reset ended every grant would be voided with them.)
        live.clock.advance(10)
        page.get_by_label("Authentication code").fill(code_of(live, secret))
        page.get_by_role("button", name="Verify").click()

        page.get_by_role("heading", name="Notes").wait_for()
        assert page.locator("#greeting").inner_text() == "Signed in as ada"
        assert page.url.startswith(app.url + "/callback?")
        [claims] = app.signed_in
        assert "otp" in claims["amr"]

        # The old password is refused; the new one signs in (and the code is asked for again).
        context = chromium.new_context()
        try:
            other = context.new_page()
            _sign_in_page_of(other, app)
            _sign_in(other, PASSWORD)
            other.get_by_text(WRONG).wait_for()
            assert other.get_by_role("heading", name="Sign in").is_visible()
            _sign_in(other, NEW_PASSWORD)
            other.get_by_role("heading", name="Two-factor authentication").wait_for()
        finally:
            context.close()
    assert live.services.users.check_password("ada", PASSWORD).user_id is None
    [event] = live.audit("password_reset")
    assert event.user_id == claims["sub"]
