"""Lockout in the login (R8, issue 5): counted per account across sessions and IPs with the
user's effective policy, a locked account revealed only to the right password, the ``restart``
policy, per-IP throttling with ``Retry-After``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bridge.storage.db.models import TotpCredential
from tests.e2e.factor_life import (
    code_of,
    enrolled_user,
    org_with,
    to_code_page,
    wrong_code,
)
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty

INCORRECT = "Incorrect username or password."
CONTACT_ADMIN = "Contact an administrator"


pytestmark = pytest.mark.postgres(
    "lockout counts failures in the database and per-IP failures in the store: Redis matters"
)


def _password_page(rp: RelyingParty, browser: Browser) -> Page:
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page)
    return page


def test_fifth_wrong_password_locks_and_only_the_right_password_learns_it(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    user_id, _ = enrolled_user(live, "ada")
    for attempt in range(5):
        browser = browsers()  # a new browser each time: the count is per account
        _password_page(rp, browser)
        page = browser.submit(username="ada", password=f"wrong {attempt}")
        assert isinstance(page, Page) and page.errors == [INCORRECT]
    assert live.services.lockout.is_locked(user_id)
    assert len(live.audit("account_locked", user_id)) == 1

    browser = browsers()
    _password_page(rp, browser)
    page = browser.submit(username="ada", password="still wrong")
    assert isinstance(page, Page) and page.errors == [INCORRECT]
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and CONTACT_ADMIN in " ".join(page.errors)
    assert page.soup.find(id="code") is None


def test_a_right_password_forgives_earlier_wrong_ones(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    user_id, _ = enrolled_user(live, "ada")
    browser = browsers()
    _password_page(rp, browser)
    for attempt in range(4):
        browser.submit(username="ada", password=f"wrong {attempt}")
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.soup.find(id="code") is not None
    browser = browsers()
    _password_page(rp, browser)
    browser.submit(username="ada", password="wrong once more")
    assert not live.services.lockout.is_locked(user_id)


def test_third_wrong_code_locks_the_account_and_ends_the_login(
    live: LiveBridge, rp: RelyingParty, browser: Browser, browsers: Callable[..., Browser]
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    to_code_page(rp, browser, "ada")
    for _ in range(2):
        page = browser.submit(code=wrong_code(live, secret))
        assert isinstance(page, Page) and page.soup.find(id="code") is not None
    page = browser.submit(code=wrong_code(live, secret))
    assert isinstance(page, Page) and page.status == 403
    assert CONTACT_ADMIN in page.html
    assert live.services.lockout.is_locked(user_id)
    [locked] = live.audit("account_locked", user_id)
    assert locked.reason == "codes"

    # A new login with the right password and the right code: still locked.
    browser = browsers()
    _password_page(rp, browser)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and CONTACT_ADMIN in " ".join(page.errors)


def test_wrong_codes_count_across_logins(
    live: LiveBridge, rp: RelyingParty, browsers: Callable[..., Browser]
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    for _ in range(3):
        browser = browsers()
        to_code_page(rp, browser, "ada")
        browser.submit(code=wrong_code(live, secret))
    assert live.services.lockout.is_locked(user_id)


def test_an_empty_code_is_not_counted(live: LiveBridge, rp: RelyingParty, browser: Browser) -> None:
    user_id, secret = enrolled_user(live, "ada")
    to_code_page(rp, browser, "ada")
    for _ in range(5):
        page = browser.submit(code="   ")
        assert isinstance(page, Page) and page.status == 200
    landed = browser.submit(code=code_of(live, secret))
    assert isinstance(landed, str) and "code=" in landed
    assert not live.services.lockout.is_locked(user_id)


def test_twenty_parallel_wrong_codes_judge_and_lock_after_exactly_three(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    page = to_code_page(rp, browser, "ada")
    judged: list[str] = []
    verify = live.services.totp.verify_with  # every code is judged here

    def counting_verify(credential: TotpCredential | None, code: str) -> bool:
        judged.append(code)
        return verify(credential, code)

    live.services.totp.verify_with = counting_verify  # type: ignore[method-assign]
    fields = page.form_fields()
    fields["code"] = wrong_code(live, secret)
    cookies = browser.http.cookies

    def guess(_: int) -> int:
        return requests.post(
            page.form_action(), data=fields, cookies=cookies, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(guess, range(20)))
    assert all(status < 500 for status in statuses), statuses
    assert len(judged) == 3
    assert live.services.lockout.is_locked(user_id)
    assert len(live.audit("account_locked", user_id)) == 1


def test_restart_policy_ends_the_login_after_three_wrong_codes_without_locking(
    live: LiveBridge, rp: RelyingParty, browser: Browser, browsers: Callable[..., Browser]
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    org_with(live, "acme", ["ada"], lockout_action="restart")
    to_code_page(rp, browser, "ada")
    for _ in range(2):
        browser.submit(code=wrong_code(live, secret))
    page = browser.submit(code=wrong_code(live, secret))
    assert isinstance(page, Page) and page.status == 403 and "start again" in page.html
    assert not live.services.lockout.is_locked(user_id)

    browser = browsers()
    to_code_page(rp, browser, "ada")
    landed = browser.submit(code=code_of(live, secret))
    assert isinstance(landed, str) and "code=" in landed


def test_the_strictest_organisation_sets_the_threshold(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, _ = enrolled_user(live, "ada")
    org_with(live, "lenient", ["ada"], lockout_password_failures=10)
    org_with(live, "strict", ["ada"], lockout_password_failures=2)
    _password_page(rp, browser)
    browser.submit(username="ada", password="wrong")
    assert not live.services.lockout.is_locked(user_id)
    browser.submit(username="ada", password="wrong again")
    assert live.services.lockout.is_locked(user_id)


def test_an_ip_with_too_many_failures_gets_429_with_retry_after(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:

    page = _password_page(rp, browser)
    limit = live.services.lockout.ip_limit
    for attempt in range(limit):
        response = browser.post_raw(
            page.form_action(),
            {**page.form_fields(), "username": f"nobody{attempt}", "password": "x"},
        )
        assert response.status_code == 303
    response = browser.post_raw(
        page.form_action(), {**page.form_fields(), "username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= live.services.lockout.ip_window
