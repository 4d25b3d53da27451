"""A relying party sends people through password, enrolment and code, and trusts what it gets."""

from __future__ import annotations

import pytest

from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    totp_code,
)

pytestmark = pytest.mark.postgres(
    "the main login path over real HTTP on PostgreSQL and Redis, as deployed with several workers"
)


def enrol(live: LiveBridge, rp: RelyingParty, browser: Browser, username: str) -> str:
    """Log a new user in through password and enrolment; return their TOTP secret."""
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    secret = enrolment_secret(page)
    landed = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(landed, str), f"expected a redirect to the app, got {browser.page}"
    return secret


def test_first_login_enrols_totp_and_the_app_gets_a_verified_id_token(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id = live.add_user("alice")
    request = rp.authorization_request()

    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    assert page.soup.find("svg") is not None, "a QR code is shown"
    link = page.soup.find("a", href=lambda h: bool(h) and h.startswith("otpauth://totp/"))
    assert link is not None
    secret = enrolment_secret(page)
    assert f"secret={secret}" in str(link["href"])

    landed = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(landed, str)
    params = callback_params(landed)
    assert params["state"] == request.state
    assert params["iss"] == live.url

    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 200, response.text
    tokens = response.json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["sub"] == user_id
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert abs(claims["auth_time"] - live.clock()) < 5
    assert claims["preferred_username"] == "alice"

    userinfo = rp.userinfo(tokens["access_token"])
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == user_id
    assert userinfo.json()["email"] == "alice@example.com"

    assert [e.mfa_factor_type for e in live.audit("mfa_setup_succeeded", user_id)] == ["totp"]
    succeeded = live.audit("sign_in_succeeded", user_id)
    assert [e.mfa_factor_type for e in succeeded] == ["totp"]


def test_an_enrolled_user_is_asked_for_a_code_after_the_password(
    live: LiveBridge, rp: RelyingParty
) -> None:
    live.add_user("bob")
    secret = enrol(live, rp, Browser(), "bob")
    live.clock.advance(30)

    browser = Browser()
    request = rp.authorization_request()
    browser.open(request.url)
    page = browser.submit(username="bob", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    code_input = page.soup.find("input", attrs={"name": "code"})
    assert code_input is not None and code_input["autocomplete"] == "one-time-code"

    landed = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(landed, str)
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
    assert rp.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["pwd", "otp", "mfa"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("carol")
    browser.open(rp.authorization_request().url)
    wrong = browser.submit(username="carol", password="not the password")
    assert isinstance(wrong, Page)
    unknown = browser.submit(username="nobody", password="not the password")
    assert isinstance(unknown, Page)
    assert wrong.errors == unknown.errors == ["Incorrect username or password."]
    reasons = sorted(str(e.reason) for e in live.audit("sign_in_failed"))
    assert reasons == ["unknown_user", "wrong_password"]


def test_a_signed_in_browser_is_not_asked_again_until_the_app_says_prompt_login(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("dave")
    enrol(live, rp, browser, "dave")

    request = rp.authorization_request()
    landed = browser.open(request.url)
    assert isinstance(landed, str), "the session cookie satisfies the flow"
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
    assert rp.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["pwd", "otp", "mfa"]

    page = browser.open(rp.authorization_request(prompt="login").url)
    assert isinstance(page, Page) and page.title == "Sign in"


def test_max_age_older_than_the_session_asks_for_the_password_again(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("erin")
    enrol(live, rp, browser, "erin")
    live.clock.advance(120)
    page = browser.open(rp.authorization_request(max_age="60").url)
    assert isinstance(page, Page) and page.title == "Sign in"


def test_prompt_none_without_a_session_returns_login_required_to_the_app(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request = rp.authorization_request(prompt="none")
    landed = browser.open(request.url)
    assert isinstance(landed, str)
    params = callback_params(landed)
    assert params["error"] == "login_required"
    assert params["state"] == request.state
    assert params["iss"] == live.url


def test_the_account_page_logs_in_through_the_same_flow(live: LiveBridge, browser: Browser) -> None:
    live.add_user("frank")
    page = browser.open(f"{live.url}/account")
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username="frank", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    page = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(page, Page) and page.title == "Your account"
    status = page.soup.find(id="mfa-status")
    assert status is not None and status.get_text(strip=True) == "Configured"


@pytest.mark.bridge_env({"BRIDGE_MFA__REQUIRED": "false"})
def test_without_mfa_required_a_user_without_totp_signs_in_with_the_password_alone(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:

    live.add_user("gina")
    request = rp.authorization_request()
    browser.open(request.url)
    landed = browser.submit(username="gina", password=PASSWORD)
    assert isinstance(landed, str)
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
    assert rp.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["pwd"]
