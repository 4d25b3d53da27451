"""App passwords on the account page: behind a fresh login and the current code, shown once,
listed, revoked (seed 004; issue 12)."""

from __future__ import annotations

from tests.e2e.factor_life import code_of, enrolled_user, wrong_code
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page


def _account(live: LiveBridge, browser: Browser, username: str, secret: str) -> Page:
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


def test_creating_one_needs_the_current_code_and_shows_it_once(
    live: LiveBridge, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _account(live, browser, "ada", secret)
    page = _post(
        live, browser, "/account/app-passwords", comment="Mail", code=wrong_code(live, secret)
    )
    assert isinstance(page, Page) and "not right" in " ".join(page.errors)
    assert live.services.app_passwords.list_own(user_id) == []
    page = _post(
        live, browser, "/account/app-passwords", comment="Mail", scope_proxy="1",
        code=code_of(live, secret),
    )  # fmt: skip
    assert isinstance(page, Page) and page.title == "Your new app password"
    shown = page.soup.find(id="app-password")
    assert shown is not None
    assert live.services.app_passwords.match(user_id, str(shown["value"]), "proxy") is not None
    again = browser.open(live.url + "/account/app-passwords/new")
    assert isinstance(again, Page) and again.title == "Your account"
    assert str(shown["value"]) not in again.html
    assert "Mail" in again.soup.select_one("#app-passwords table").get_text()  # type: ignore[union-attr]
    assert live.audit("app_password_created", user_id)


def test_revoking_one_from_the_account_page(live: LiveBridge, browser: Browser) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _account(live, browser, "ada", secret)
    from bridge.services.app_password_values import Origin

    new = live.services.app_passwords.create_own(user_id, "Mail", None, Origin(user_id))
    page = _post(live, browser, f"/account/app-passwords/{new.view.id}/revoke")
    assert isinstance(page, Page) and page.soup.find(id="no-app-passwords") is not None
    assert live.services.app_passwords.match(user_id, new.secret, "proxy") is None
    missing = _post(live, browser, f"/account/app-passwords/{new.view.id}/revoke")
    assert isinstance(missing, Page) and missing.title != "Your account"


def test_an_app_password_does_not_sign_in_to_the_browser_form(
    live: LiveBridge, browser: Browser
) -> None:
    user_id = live.add_user("bob")
    from bridge.services.app_password_values import Origin

    new = live.services.app_passwords.create_own(user_id, "Mail", None, Origin(user_id))
    browser.open(live.url + "/account")
    page = browser.submit(username="bob", password=new.secret)
    assert isinstance(page, Page) and "Incorrect username or password." in page.errors
