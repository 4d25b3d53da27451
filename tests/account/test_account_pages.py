"""Self-service account pages (R10 to R12, issue 5): behind a fresh login, a current code for
every change of the factor, and each change audited."""

from __future__ import annotations

from bridge.services.orgs import Actor
from tests.e2e.factor_life import code_of, enrolled_user, wrong_code
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

FRESH = 10 * 60
OPERATOR = Actor.operator()


def _account(live: LiveBridge, browser: Browser, username: str, secret: str) -> Page:
    """Sign in through the account page itself; land on it."""
    browser.open(live.url + "/account")
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Your account", page.html[:500]
    live.clock.advance(30)
    return page


def _post(live: LiveBridge, browser: Browser, path: str, **fields: str) -> Page | str:
    page = browser.open(live.url + "/account")
    assert isinstance(page, Page)
    token = page.soup.find("input", attrs={"name": "csrf_token"})
    assert token is not None
    response = browser.http.post(
        live.url + path, data={"csrf_token": str(token["value"]), **fields}, allow_redirects=False
    )
    return browser._follow(response)


def test_the_account_page_shows_recovery_codes_left_and_warns_at_two(
    live: LiveBridge, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    codes = live.services.recovery.generate(user_id)
    page = _account(live, browser, "ada", secret)
    assert page.soup.find(id="recovery-remaining").get_text().startswith("10")  # type: ignore[union-attr]
    assert page.soup.find(id="recovery-warning") is None
    for code in codes[:8]:
        assert live.services.recovery.use(user_id, code)
    page = browser.open(live.url + "/account")
    assert isinstance(page, Page) and page.soup.find(id="recovery-warning") is not None


def test_regenerating_recovery_codes_needs_the_current_code(
    live: LiveBridge, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    old = live.services.recovery.generate(user_id)
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/recovery-codes", code=wrong_code(live, secret))
    assert isinstance(page, Page) and "not right" in " ".join(page.errors)
    page = _post(live, browser, "/account/recovery-codes", code="")
    assert isinstance(page, Page) and page.errors
    browser.confirm_recovery_codes = False
    page = _post(live, browser, "/account/recovery-codes", code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Save your recovery codes"
    new = [li.get_text(strip=True) for li in page.soup.select("#recovery-codes li")]
    assert len(new) == 10 and not set(new) & set(old)
    assert not live.services.recovery.use(user_id, old[0])
    assert live.audit("recovery_codes_regenerated", user_id)


def test_a_stale_login_must_sign_in_again_before_the_account_page(
    live: LiveBridge, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    _account(live, browser, "ada", secret)
    live.clock.advance(FRESH + 1)
    page = browser.open(live.url + "/account")
    assert isinstance(page, Page) and page.soup.find(id="password") is not None


def test_resetting_the_key_ends_every_session_and_trusted_browser_and_asks_to_enrol(
    live: LiveBridge, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    other = Browser()
    _account(live, other, "ada", secret)
    live.services.trusted_devices.trust(user_id, "Firefox", 30)
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/reset-key", code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "You are signed out"
    assert live.services.trusted_devices.list(user_id) == []
    assert not live.services.totp.has_totp(user_id)
    [event] = live.audit("mfa_reset", user_id)
    assert event.actor_id == user_id
    live.clock.advance(1)
    # The other browser's session is over too.
    page = other.open(live.url + "/account")
    assert isinstance(page, Page) and page.soup.find(id="password") is not None
    page = other.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.soup.find(id="secret") is not None
    other.http.close()


def test_disabling_2fa_is_refused_while_an_organisation_enforces_it(
    live: LiveBridge, browser: Browser
) -> None:
    from tests.e2e.factor_life import org_with

    user_id, secret = enrolled_user(live, "ada")
    org_with(live, "acme", ["ada"], mfa_enforced=True)
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/disable", code=code_of(live, secret))
    assert isinstance(page, Page) and page.status == 409
    message = page.soup.select_one("p.message")  # the organisation by its name, not its slug
    assert message is not None
    assert message.get_text() == "You cannot turn it off: your organisation Acme requires it."
    assert live.services.totp.has_totp(user_id)


def test_disabling_2fa_is_refused_in_german_with_the_reasons_in_german(live: LiveBridge) -> None:
    from tests.e2e.factor_life import org_with

    user_id, secret = enrolled_user(live, "ada")
    org_with(live, "acme", ["ada"], mfa_enforced=True)
    live.services.members.require_mfa(OPERATOR, "acme", "ada")
    browser = Browser()
    browser.http.headers["Accept-Language"] = "de"
    browser.open(live.url + "/account")
    browser.submit(username="ada", password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Ihr Konto"
    live.clock.advance(30)
    page = _post(live, browser, "/account/disable", code=code_of(live, secret))
    assert isinstance(page, Page) and page.status == 409
    assert page.title == "Die Zwei-Faktor-Authentifizierung bleibt aktiv"
    message = page.soup.select_one("p.message")
    assert message is not None and message.get_text() == (
        "Sie können sie nicht ausschalten: ein Administrator hat sie für Ihr Konto verlangt; "
        "Ihre Organisation Acme verlangt sie."
    )
    assert live.services.totp.has_totp(user_id)
    browser.http.close()


def test_disabling_2fa_when_nobody_requires_it(live: LiveBridge, browser: Browser) -> None:
    from tests.e2e.factor_life import org_with

    user_id, secret = enrolled_user(live, "ada")
    org_with(live, "acme", ["ada"])
    live.services.recovery.generate(user_id)
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/disable", code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Your account"
    assert not live.services.totp.has_totp(user_id)
    assert live.services.recovery.remaining(user_id) == 0
    assert live.audit("mfa_disabled", user_id)


def test_deactivate_device_and_sign_out(live: LiveBridge, browser: Browser) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/deactivate-device", code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "You are signed out"
    assert not live.services.totp.has_totp(user_id)


def test_trusted_browsers_are_listed_and_revoked_one_or_all(
    live: LiveBridge, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    trusted = live.services.trusted_devices
    trusted.trust(user_id, "Firefox on Linux", 30)
    trusted.trust(user_id, "Safari on macOS", 30)
    trusted.trust(user_id, "Edge on Windows", 30)
    page = _account(live, browser, "ada", secret)
    assert "Firefox on Linux" in page.html and "Safari on macOS" in page.html
    first = trusted.list(user_id)[0]
    page = _post(live, browser, f"/account/trusted-browsers/{first.id}/revoke")
    assert isinstance(page, Page) and len(trusted.list(user_id)) == 2
    page = _post(live, browser, "/account/trusted-browsers/nonexistent/revoke")
    assert isinstance(page, Page) and page.status == 404
    page = _post(live, browser, "/account/trusted-browsers/revoke-all")
    assert isinstance(page, Page) and trusted.list(user_id) == []


def test_sign_out_everywhere_ends_the_sessions_of_other_browsers(
    live: LiveBridge, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    other = Browser()
    _account(live, other, "ada", secret)
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/sign-out-everywhere")
    assert isinstance(page, Page) and page.title == "You are signed out"
    live.clock.advance(1)
    page = other.open(live.url + "/account")
    assert isinstance(page, Page) and page.soup.find(id="password") is not None
    other.http.close()


def test_an_account_change_without_a_csrf_token_is_refused(
    live: LiveBridge, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _account(live, browser, "ada", secret)
    response = browser.http.post(
        live.url + "/account/disable", data={"code": code_of(live, secret)}, allow_redirects=False
    )
    assert response.status_code in (400, 403)
    assert live.services.totp.has_totp(user_id)


def test_a_user_whom_nobody_requires_it_sets_up_2fa_from_the_account_page(
    live: LiveBridge, browser: Browser
) -> None:
    from tests.e2e.factor_life import org_with
    from tests.e2e.harness import enrolment_secret, totp_code

    user_id = live.add_user("ada")
    org_with(live, "acme", ["ada"])
    browser.open(live.url + "/account")
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Your account"
    link = page.soup.find(id="enable-2fa")
    assert link is not None
    page = browser.open(live.url + str(link["href"]))
    assert isinstance(page, Page)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.soup.find(id="secret") is not None
    page = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(page, Page) and page.title == "Your account", page.html[:400]
    assert page.soup.find(id="mfa-status").get_text() == "Configured"  # type: ignore[union-attr]
    assert len(browser.recovery_codes) == 10
    assert live.services.recovery.remaining(user_id) == 10
    assert live.audit("mfa_setup_succeeded", user_id)


def test_a_user_whom_nobody_requires_it_sets_up_a_new_authenticator_after_a_reset(
    live: LiveBridge, browser: Browser
) -> None:
    """Seed 003: a reset is not a way to turn 2FA off; the next login asks for a new app."""
    from tests.e2e.factor_life import org_with
    from tests.e2e.harness import enrolment_secret, totp_code

    user_id, secret = enrolled_user(live, "ada")
    org_with(live, "acme", ["ada"])  # an organisation that enforces nothing
    assert not live.services.mfa_policy.mfa_required(user_id)
    _account(live, browser, "ada", secret)
    page = _post(live, browser, "/account/reset-key", code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "You are signed out"
    live.clock.advance(1)

    again = Browser()
    again.open(live.url + "/account")
    page = again.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    page = again.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(page, Page) and page.title == "Your account", page.html[:300]
    # The new authenticator is what the reset asked for: nothing requires 2FA any more.
    assert not live.services.mfa_policy.mfa_required(user_id)
    again.http.close()
