"""A person in a real Chromium trusts this browser (R12, issue 5): after a browser restart the
code is not asked again; with a cleared cookie jar it is."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.factor_life import enrolled_user
from tests.e2e.harness import PASSWORD, LiveBridge, RelyingParty

pytestmark = pytest.mark.browser
AT_THE_APP = "signed in at the app"
APP = re.compile(r"^http://127\.0\.0\.1:9/.*")


def _catch_the_app(page: Page) -> list[str]:
    landed: list[str] = []
    page.route(
        APP, lambda route: (landed.append(route.request.url), route.fulfill(body=AT_THE_APP))[1]
    )
    return landed


def _sign_in(page: Page, rp: RelyingParty) -> None:
    page.goto(rp.authorization_request().url)
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_trusted_browser_skips_the_code_after_a_restart_but_not_with_cleared_cookies(
    live: LiveBridge,
    rp: RelyingParty,
    chromium: Browser,
) -> None:
    _, secret = enrolled_user(live, "paula")
    context = chromium.new_context()
    page = context.new_page()
    landed = _catch_the_app(page)
    _sign_in(page, rp)
    trust = page.get_by_label(re.compile(r"Trust this browser for 30 days"))
    assert trust.is_checked()
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).at(live.clock()))
    page.get_by_role("button", name="Verify").click()
    page.get_by_text(AT_THE_APP, exact=True).wait_for()
    assert landed
    storage = context.storage_state()
    context.close()
    live.clock.advance(30)

    # A restart: a new browser context with the saved cookies, minus the bridge session (as
    # when it expires), so the password is asked and the trusted-browser cookie decides. (The
    # bridge sees only the cookies: a context is as new to it as a new browser process.)
    session_cookie = live.services.settings.session.cookie_name
    storage["cookies"] = [c for c in storage["cookies"] if c["name"] != session_cookie]
    context = chromium.new_context(storage_state=storage)  # type: ignore[arg-type]
    page = context.new_page()
    landed = _catch_the_app(page)
    _sign_in(page, rp)
    page.get_by_text(AT_THE_APP, exact=True).wait_for()
    assert landed, "no code was asked on the trusted browser"
    context.close()

    # A cleared cookie jar: the code is asked again.
    context = chromium.new_context()
    page = context.new_page()
    _catch_the_app(page)
    _sign_in(page, rp)
    page.get_by_label("Authentication code").wait_for()
    context.close()
