"""Change password on the account page (issue 14): the current password first (under the
lockout), a fresh login, other sessions ended at the person's choice, audited and mailed."""

from __future__ import annotations

import pytest

from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page
from tests.factors.smtp_server import Inbox
from tests.passwords.conftest import MAIL_ENV, NEW_PASSWORD, delivered

pytestmark = pytest.mark.bridge_env(MAIL_ENV)


def _password_page(live: LiveBridge, browser: Browser, secret: str) -> Page:
    browser.open(live.url + "/account/password")
    browser.submit(username="ada", password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Change your password", page
    return page


def test_a_changed_password_ends_other_sessions_keeps_this_one_and_is_mailed(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    other = live.services.sessions.create(user_id, ("pwd", "otp"), int(live.clock()), None)
    _password_page(live, browser, secret)
    page = browser.submit(
        current_password=PASSWORD,
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
        sign_out_others="yes",
    )
    assert isinstance(page, Page) and page.title == "Your account", page
    assert live.services.sessions.get(other) is None
    assert live.services.users.check_password("ada", NEW_PASSWORD).user_id == user_id
    [event] = live.audit("password_changed", user_id)
    assert event.details == {"other_sessions_ended": True}
    assert [subject for _, subject in delivered(live, inbox)] == ["Your password was changed"]


def test_other_sessions_go_on_when_the_person_chooses_so(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    other = live.services.sessions.create(user_id, ("pwd", "otp"), int(live.clock()), None)
    _password_page(live, browser, secret)
    page = browser.submit(current_password=PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert isinstance(page, Page) and page.title == "Your account", page
    assert live.services.sessions.get(other) is not None


def test_a_wrong_current_password_is_refused_and_counts_toward_the_lock(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _password_page(live, browser, secret)
    page = browser.submit(
        current_password="not my password at all", password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert isinstance(page, Page) and page.status == 400
    assert page.errors == ["The current password is not right."]
    assert live.services.users.check_password("ada", PASSWORD).user_id == user_id
    assert live.services.store.get(f"lockout:password:{user_id}") == 1


def test_the_password_page_needs_a_fresh_login(live: LiveBridge, browser: Browser) -> None:
    page = browser.open(live.url + "/account/password")
    assert isinstance(page, Page) and page.title == "Sign in"
