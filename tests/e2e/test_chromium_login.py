"""A person in a real Chromium signs in to an app through password, enrolment and code."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import PASSWORD, LiveBridge, RelyingParty, callback_params

pytestmark = pytest.mark.browser


def test_a_person_signs_in_with_password_and_a_new_authenticator(
    live: LiveBridge, rp: RelyingParty, page: Page
) -> None:
    live.add_user("paula")
    request = rp.authorization_request()
    # The app's callback does not exist; catch the navigation to it instead.
    landed: list[str] = []
    page.route(
        re.compile(r"^http://127\.0\.0\.1:9/.*"),
        lambda route: (landed.append(route.request.url), route.fulfill(body="signed in"))[1],
    )

    page.goto(request.url)
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="Set up two-factor authentication").wait_for()
    assert page.locator("figure.qr svg").is_visible()
    page.get_by_text("Can't scan the code?").click()
    secret = re.sub(r"\s", "", page.locator("#secret").inner_text())
    code = pyotp.TOTP(secret).at(live.clock())
    page.get_by_label("Enter the 6-digit code your app shows to finish").fill(code)
    page.get_by_role("button", name="Activate").click()
    page.get_by_role("heading", name="Save your recovery codes").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_label("I saved my recovery codes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("signed in").wait_for()

    params = callback_params(landed[-1])
    tokens = rp.exchange(params["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["preferred_username"] == "paula"
