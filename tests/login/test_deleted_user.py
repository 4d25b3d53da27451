"""A deleted user (issue 14, ``bridge user delete``): no sign-in, no refresh, the access token
answers 401 at once, and the deletion is audited under the pseudonym."""

from __future__ import annotations

from bridge.services.account.erasure import delete_account
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, first_tokens


def test_a_deleted_user_has_no_token_and_no_sign_in(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, tokens = first_tokens(live, rp, browser, "ada")
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    erased = delete_account(live.services, "ada")
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    [event] = live.audit("user_deleted")
    assert event.user_id == erased.pseudonym and event.reason == "operator"
    again = Browser()
    again.open(live.url + "/account")
    page = again.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.errors == ["Incorrect username or password."]
    assert live.services.users.check_password("ada", PASSWORD).user_id is None


def test_the_browser_session_of_a_deleted_user_ends(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    first_tokens(live, rp, browser, "ada")
    account = browser.open(live.url + "/account")
    assert isinstance(account, Page) and not _asks_password(account)
    delete_account(live.services, "ada")
    after = browser.open(live.url + "/account")
    assert isinstance(after, Page) and _asks_password(after)


def _asks_password(page: Page) -> bool:
    return page.soup.find("input", {"name": "password"}) is not None
