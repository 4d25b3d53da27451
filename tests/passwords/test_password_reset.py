"""Forgot password (issue 14) over HTTP, with the mail delivered by a real SMTP server: the
link, its single use and its limits, the answer that tells nobody which accounts exist, and
the second factor that a reset never skips."""

from __future__ import annotations

import pytest

from bridge.services import password_resets
from bridge.services.password_resets import RESPONSE_FLOOR
from tests.e2e.factor_life import code_of, enrolled_user, org_with
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, callback_params
from tests.factors.smtp_server import Inbox
from tests.passwords.conftest import (
    MAIL_ENV,
    NEW_PASSWORD,
    ask_for_link,
    delivered,
    reset_link,
    set_password,
    text_of,
    to_forgot_page,
)

pytestmark = pytest.mark.bridge_env(MAIL_ENV)
ENROL_TITLE = "Set up two-factor authentication"


def _password_works(live: LiveBridge, username: str, password: str) -> bool:
    return live.services.users.check_password(username, password).user_id is not None


def test_the_link_is_mailed_in_the_person_s_language_from_the_configured_issuer(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    user_id = live.add_user("ada")
    live.services.languages.choose(user_id, "de")
    to_forgot_page(None, browser, live)
    assert browser.page is not None
    response = browser.http.post(
        browser.page.form_action(),
        data={**browser.page.form_fields(), "identifier": "ada"},
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        allow_redirects=False,
    )
    assert response.status_code == 200
    [(to, subject)] = delivered(live, inbox)
    assert to == ["ada@example.com"] and subject == "Neues Kennwort festlegen"
    assert reset_link(live, inbox).startswith(live.url + "/password/reset/")
    assert "evil.example" not in text_of(inbox)
    [event] = live.audit("password_reset_requested", user_id)
    assert event.details == {"sent": True}


class StoppedClock:
    """The reset service's clock, stopped: time passes only when it sleeps. Each request's
    sleep is then exactly what the floor adds to the work it did (none, on this clock)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_known_and_unknown_accounts_get_the_same_answer_in_the_same_time(
    live: LiveBridge, browsers: type[Browser], inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same page for every identifier, and the same time: every answer is held until the
    floor, so a known account (a link mailed) and an unknown one (nothing) cannot be told apart
    by timing. Measured on the service's own clock, not the wall clock."""
    clock = StoppedClock()
    monkeypatch.setattr(password_resets, "time", clock)
    live.add_user("ada")
    answers = []
    for who in ("ada", "nobody", "ada@example.com", "nobody@example.com"):
        browser = browsers()
        to_forgot_page(None, browser, live)
        assert browser.page is not None
        response = browser.http.post(
            browser.page.form_action(),
            data={**browser.page.form_fields(), "identifier": who},
            allow_redirects=False,
        )
        page = Page(response.url, response.status_code, response.text)
        answers.append((response.status_code, page.soup.get_text(" ", strip=True)))
    assert len(set(answers)) == 1
    assert answers[0][0] == 200
    assert clock.slept == [RESPONSE_FLOOR] * 4
    assert len(delivered(live, inbox)) == 2  # ada, by username and by e-mail


def test_a_reset_for_a_user_with_2fa_still_asks_for_the_code_then_reaches_the_application(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    _, secret = enrolled_user(live, "ada")
    ask_for_link(rp, browser, live, "ada")
    page = set_password(browser, reset_link(live, inbox))
    assert isinstance(page, Page) and page.title == "Two-factor authentication", page
    assert browser.landed is None
    landed = browser.submit(code=code_of(live, secret))
    assert isinstance(landed, str) and "code" in callback_params(landed)
    assert _password_works(live, "ada", NEW_PASSWORD)
    assert not _password_works(live, "ada", PASSWORD)


def test_a_reset_for_a_user_whom_policy_requires_2fa_sets_it_up_first(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    org_with(live, "acme", ["ada"], mfa_enforced=True)
    ask_for_link(rp, browser, live, "ada")
    page = set_password(browser, reset_link(live, inbox))
    assert isinstance(page, Page) and page.title == ENROL_TITLE, page
    assert browser.landed is None


def test_a_used_link_does_not_work_again(
    live: LiveBridge, browsers: type[Browser], inbox: Inbox
) -> None:
    live.add_user("ada")
    first = browsers()
    ask_for_link(None, first, live, "ada")
    link = reset_link(live, inbox)
    set_password(first, link)
    second = browsers()
    page = second.open(link)
    assert isinstance(page, Page) and page.status == 400
    assert page.title == "This link no longer works"


def test_an_expired_link_does_not_work(live: LiveBridge, browser: Browser, inbox: Inbox) -> None:
    live.add_user("ada")
    ask_for_link(None, browser, live, "ada")
    link = reset_link(live, inbox)
    live.clock.advance(15 * 60 + 1)
    page = browser.open(link)
    assert isinstance(page, Page) and page.status == 400


def test_a_newer_link_voids_the_older_one(live: LiveBridge, browser: Browser, inbox: Inbox) -> None:
    live.add_user("ada")
    ask_for_link(None, browser, live, "ada")
    older = reset_link(live, inbox)
    ask_for_link(None, browser, live, "ada")
    newer = reset_link(live, inbox)
    assert older != newer
    page = browser.open(older)
    assert isinstance(page, Page) and page.status == 400
    page = browser.open(newer)
    assert isinstance(page, Page) and page.status == 200


def test_a_link_is_void_once_the_password_changed_otherwise(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    ask_for_link(None, browser, live, "ada")
    link = reset_link(live, inbox)
    live.services.users.set_password("ada", "another long passphrase here")
    page = browser.open(link)
    assert isinstance(page, Page) and page.status == 400


def test_a_link_sets_only_its_own_user_s_password_and_signs_in_nobody_else(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    live.add_user("bob")
    ask_for_link(rp, browser, live, "ada")
    link = reset_link(live, inbox)
    # The same browser starts bob's login meanwhile and passes bob's password.
    browser.open(rp.authorization_request().url)
    page = set_password(browser, link)
    assert isinstance(page, str) or page.title != "This link no longer works"
    assert _password_works(live, "ada", NEW_PASSWORD)
    assert _password_works(live, "bob", PASSWORD)
    assert not _password_works(live, "bob", NEW_PASSWORD)


def test_success_ends_every_other_session_and_is_audited_and_mailed(
    live: LiveBridge, browsers: type[Browser], inbox: Inbox
) -> None:
    user_id = live.add_user("ada")
    other = live.services.sessions.create(user_id, ("pwd",), int(live.clock()), None)
    browser = browsers()
    ask_for_link(None, browser, live, "ada")
    page = set_password(browser, reset_link(live, inbox))
    # The new password passed the sign-in; the tests' bridge requires 2FA of everyone.
    assert isinstance(page, Page) and page.title == ENROL_TITLE, page
    assert live.services.sessions.get(other) is None
    assert len(live.audit("password_reset", user_id)) == 1
    subjects = [subject for _, subject in delivered(live, inbox)]
    assert subjects == ["Set a new password", "Your password was changed"]


def test_a_refused_password_keeps_the_link_working(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    ask_for_link(None, browser, live, "ada")
    link = reset_link(live, inbox)
    page = set_password(browser, link, "short")
    assert isinstance(page, Page) and page.status == 400 and page.errors
    page = set_password(browser, link)
    assert isinstance(page, Page) and page.title == ENROL_TITLE


def test_two_different_passwords_are_refused(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    ask_for_link(None, browser, live, "ada")
    page = browser.open(reset_link(live, inbox))
    assert isinstance(page, Page)
    page = browser.submit(password=NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert isinstance(page, Page) and page.status == 400
    assert page.errors == ["The two passwords are not the same."]


@pytest.mark.parametrize("policy", [{"password_reset_allowed": False}])
def test_an_organisation_that_turned_resets_off_gets_no_link(
    live: LiveBridge, browser: Browser, inbox: Inbox, policy: dict[str, bool]
) -> None:
    user_id = live.add_user("ada")
    org_with(live, "acme", ["ada"], **policy)
    page = ask_for_link(None, browser, live, "ada")
    assert page.title == "Check your e-mail"
    assert delivered(live, inbox) == []
    [event] = live.audit("password_reset_requested", user_id)
    assert event.reason == "organisation_policy"


def test_an_account_gets_at_most_three_links_an_hour(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    for _ in range(4):
        ask_for_link(None, browser, live, "ada")
    assert len(delivered(live, inbox)) == 3


def test_a_garbage_token_is_a_400_page_never_a_5xx(live: LiveBridge, browser: Browser) -> None:
    for token in ("x", "A" * 300, "%00%ff"):
        page = browser.open(live.url + "/password/reset/" + token)
        assert isinstance(page, Page) and page.status in (400, 404)


def test_a_refused_password_is_explained_in_the_page_s_language(
    live: LiveBridge, browser: Browser, inbox: Inbox
) -> None:
    live.add_user("ada")
    ask_for_link(None, browser, live, "ada")
    link = reset_link(live, inbox)
    browser.http.headers["Accept-Language"] = "de"
    page = browser.open(link)
    assert isinstance(page, Page) and page.status == 200
    page = browser.submit(password="kurz", confirm="kurz")
    assert isinstance(page, Page) and page.status == 400
    [error] = page.errors
    assert error.startswith("Verwenden Sie mindestens ") and "Zeichen" in error
