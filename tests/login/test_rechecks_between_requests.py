"""What a login's request reads of the person once (issue 16: the TOTP credential with the user,
the temporary-password mark from that same row) is read again by the next request: an admin's
change made between two requests of a login takes effect at the next one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, callback_params

CODE_PAGE = "Two-factor authentication"
CHOOSE = "Choose your own password"


@pytest.fixture
def statements(live: LiveBridge) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(" ".join(args[2].split()))

    event.listen(live.services.db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(live.services.db.engine, "before_cursor_execute", record)


def _at_the_code_page(live: LiveBridge, rp: RelyingParty, browser: Browser) -> None:
    browser.open(rp.authorization_request().url)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.title == CODE_PAGE, page


def test_the_code_is_judged_with_the_credential_read_with_the_person(
    live: LiveBridge, rp: RelyingParty, browser: Browser, statements: list[str]
) -> None:
    _, secret = enrolled_user(live, "ada")
    _at_the_code_page(live, rp, browser)
    statements.clear()
    landed = browser.submit(code=code_of(live, secret))
    assert isinstance(landed, str) and browser.landed is not None
    assert not [s for s in statements if s.startswith("SELECT totp_credentials")]


def test_an_authenticator_removed_after_the_password_refuses_its_code(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _at_the_code_page(live, rp, browser)
    live.services.totp.disable(user_id)  # an admin's 2FA reset between the two requests
    browser.submit(code=code_of(live, secret))
    assert browser.landed is None or "code" not in callback_params(browser.landed)


def test_a_new_authenticator_after_the_password_is_the_one_that_counts(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, old_secret = enrolled_user(live, "ada")
    _at_the_code_page(live, rp, browser)
    live.services.totp.disable(user_id)
    offer = live.services.totp.start_enrolment(user_id, "ada")
    live.clock.advance(30)
    assert live.services.totp.confirm_enrolment(
        user_id, offer.credential_id, code_of(live, offer.secret)
    )
    live.clock.advance(30)
    assert code_of(live, old_secret) != code_of(live, offer.secret)
    page = browser.submit(code=code_of(live, old_secret))
    assert browser.landed is None and isinstance(page, Page), page
    landed = browser.submit(code=code_of(live, offer.secret))
    assert isinstance(landed, str) and browser.landed is not None


def test_a_temporary_password_set_after_the_password_is_replaced_before_the_application(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    _at_the_code_page(live, rp, browser)
    live.services.users.replace_password(user_id, PASSWORD, temporary=True)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == CHOOSE, page
    assert browser.landed is None
