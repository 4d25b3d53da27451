"""A refused password reads German on a German page (issue 13): the policy's refusal is a
``Phrase`` with the number of characters in it, and the page keeps it one."""

from __future__ import annotations

from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page


def test_a_too_short_new_password_is_refused_in_german(live: LiveBridge) -> None:
    user_id, secret = enrolled_user(live, "ada")
    browser = Browser()
    browser.http.headers["Accept-Language"] = "de"
    browser.open(live.url + "/account/password")
    browser.submit(username="ada", password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page), page
    page = browser.submit(current_password=PASSWORD, password="kurz", confirm="kurz")
    assert isinstance(page, Page) and page.status == 400
    [error] = page.errors
    assert error.startswith("Verwenden Sie mindestens ") and error.endswith(
        " Zeichen für das Kennwort."
    )
    assert live.services.users.check_password("ada", PASSWORD).user_id == user_id
    browser.http.close()
