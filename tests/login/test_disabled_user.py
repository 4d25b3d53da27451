"""A disabled user (issue 14, ``bridge user disable``): no sign-in, no refresh, no app
password; every session and grant ends at once; disabling and enabling are audited."""

from __future__ import annotations

from bridge.services.account.lifecycle import disable, enable
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, first_tokens


def test_disabling_ends_tokens_and_sign_in_and_is_audited(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, tokens = first_tokens(live, rp, browser, "ada")
    user = live.services.users.find("ada")
    assert user is not None
    assert disable(live.services, "ada") is True
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    [event] = live.audit("user_disabled", user.id)
    assert event.reason == "operator"
    other = Browser()
    other.open(live.url + "/account")
    page = other.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.errors == ["Incorrect username or password."]
    assert enable(live.services, "ada") is True
    assert live.audit("user_enabled", user.id)
    assert live.services.users.check_password("ada", PASSWORD).user_id == user.id
