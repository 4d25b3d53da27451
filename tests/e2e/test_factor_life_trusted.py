"""Trusted browsers over HTTP (R12, issue 5): the code page's checkbox, the cookie, what the
``device_trusted`` condition accepts, and a truthful amr."""

from __future__ import annotations

from collections.abc import Callable

from bridge.services.trusted_devices import COOKIE_NAME
from tests.e2e.factor_life import (
    code_of,
    drop_cookie,
    drop_session,
    enrolled_user,
    org_with,
    to_code_page,
)
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, callback_params


def _trust_this_browser(live: LiveBridge, rp: RelyingParty, browser: Browser, secret: str) -> None:
    page = to_code_page(rp, browser, "ada")
    box = page.soup.find(id="trust")
    assert box is not None and box.has_attr("checked")
    landed = browser.submit(code=code_of(live, secret), trust="yes")
    assert isinstance(landed, str)
    live.clock.advance(30)
    drop_session(live, browser)


def _sign_in(rp: RelyingParty, browser: Browser, username: str = "ada") -> Page | str:
    browser.open(rp.authorization_request().url)
    return browser.submit(username=username, password=PASSWORD)


def test_the_code_page_offers_thirty_days_by_default(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    enrolled_user(live, "ada")
    page = to_code_page(rp, browser, "ada")
    assert "Trust this browser for 30 days" in page.html


def test_a_trusted_browser_skips_the_code_and_the_amr_says_only_pwd(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    to_code_page(rp, browser, "ada")
    response = browser.post_raw(
        browser.page.form_action(),  # type: ignore[union-attr]
        {**browser.page.form_fields(), "code": code_of(live, secret), "trust": "yes"},  # type: ignore[union-attr]
    )
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE_NAME}=" in response.headers.get("Set-Cookie", "") or any(
        c.name == COOKIE_NAME for c in browser.http.cookies
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={30 * 86400}" in cookie
    assert len(live.services.trusted_devices.list(user_id)) == 1
    live.clock.advance(30)
    drop_session(live, browser)

    request = rp.authorization_request()
    browser.open(request.url)
    landed = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(landed, str), "no code is asked on a trusted browser"
    tokens = rp.exchange(callback_params(landed)["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["pwd"]
    events = live.audit("sign_in_succeeded", user_id)
    assert [e.mfa_factor_type for e in events].count("trusted_device") == 1


def test_an_unticked_box_trusts_nothing(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    to_code_page(rp, browser, "ada")
    landed = browser.submit(code=code_of(live, secret))  # the box is not sent
    assert isinstance(landed, str)
    assert live.services.trusted_devices.list(user_id) == []
    drop_session(live, browser)
    page = _sign_in(rp, browser)
    assert isinstance(page, Page) and page.soup.find(id="code") is not None


def test_a_cleared_cookie_a_copied_cookie_a_tampered_or_expired_one_ask_again(
    live: LiveBridge, rp: RelyingParty, browser: Browser, browsers: Callable[..., Browser]
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    enrolled_user(live, "bob")
    _trust_this_browser(live, rp, browser, secret)
    token = next(c.value for c in browser.http.cookies if c.name == COOKIE_NAME)

    # Another user's browser with ada's cookie copied into it.
    other = browsers()
    other.http.cookies.set(COOKIE_NAME, token)
    page = _sign_in(rp, other, "bob")
    assert isinstance(page, Page) and page.soup.find(id="code") is not None

    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 500):
        tampered = browsers()
        tampered.http.cookies.set(COOKIE_NAME, bad)
        page = _sign_in(rp, tampered)
        assert isinstance(page, Page) and page.soup.find(id="code") is not None

    drop_cookie(browser, COOKIE_NAME)
    page = _sign_in(rp, browser)
    assert isinstance(page, Page) and page.soup.find(id="code") is not None

    expired = browsers()
    expired.http.cookies.set(COOKIE_NAME, token)
    assert isinstance(_sign_in(rp, expired), str)
    live.clock.advance(31 * 86400)
    expired = browsers()
    expired.http.cookies.set(COOKIE_NAME, token)
    page = _sign_in(rp, expired)
    assert isinstance(page, Page) and page.soup.find(id="code") is not None
    assert user_id


def test_a_revoked_browser_is_asked_again(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _trust_this_browser(live, rp, browser, secret)
    [device] = live.services.trusted_devices.list(user_id)
    live.services.trusted_devices.revoke(user_id, device.id)
    page = _sign_in(rp, browser)
    assert isinstance(page, Page) and page.soup.find(id="code") is not None


def test_the_organisation_sets_the_days_or_turns_trust_off(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    enrolled_user(live, "ada")
    enrolled_user(live, "bob")
    org_with(live, "short", ["ada"], trusted_browser_days=7)
    org_with(live, "strict", ["bob"], trusted_browsers_enabled=False)
    page = to_code_page(rp, browsers(), "ada")
    assert "Trust this browser for 7 days" in page.html
    page = to_code_page(rp, browsers(), "bob")
    assert page.soup.find(id="trust") is None


def test_a_two_factor_level_asks_the_code_even_on_a_trusted_browser(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    _trust_this_browser(live, rp, browser, secret)
    browser.open(rp.authorization_request(acr_values="urn:bridge:loa:2").url)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.soup.find(id="code") is not None
