"""Refusals on the account pages read German on a German page (issue 13): a refused password
(the policy's refusal is a ``Phrase`` with the number of characters in it) and an organisation
that forbids app passwords, named by its name."""

from __future__ import annotations

from bridge.services.orgs import Actor
from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

OPERATOR = Actor.operator()


def german_account(live: LiveBridge, path: str, secret: str) -> tuple[Browser, Page]:
    """A German browser signed in (password and code) on ``path``."""
    browser = Browser()
    browser.http.headers["Accept-Language"] = "de"
    browser.open(live.url + path)
    browser.submit(username="ada", password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page), page
    live.clock.advance(30)
    return browser, page


def test_a_too_short_new_password_is_refused_in_german(live: LiveBridge) -> None:
    user_id, secret = enrolled_user(live, "ada")
    browser, _ = german_account(live, "/account/password", secret)
    page = browser.submit(current_password=PASSWORD, password="kurz", confirm="kurz")
    assert isinstance(page, Page) and page.status == 400
    [error] = page.errors
    assert error.startswith("Verwenden Sie mindestens ") and error.endswith(
        " Zeichen für das Kennwort."
    )
    assert live.services.users.check_password("ada", PASSWORD).user_id == user_id
    browser.http.close()


def test_an_organisation_that_forbids_app_passwords_is_named_in_german(live: LiveBridge) -> None:
    user_id, secret = enrolled_user(live, "ada")
    live.services.orgs.create(OPERATOR, "acme", "Acme Werke")
    live.services.members.add(OPERATOR, "acme", "ada")
    live.services.orgs.update_policy(OPERATOR, "acme", {"app_passwords_allowed": False})
    browser, page = german_account(live, "/account", secret)
    token = page.soup.find("input", attrs={"name": "csrf_token"})
    assert token is not None
    response = browser.http.post(
        live.url + "/account/app-passwords",
        data={"csrf_token": token["value"], "comment": "Mail", "code": code_of(live, secret)},
    )
    refused = Page(response.url, response.status_code, response.text)
    assert refused.status == 403
    message = refused.soup.select_one("p.message")
    assert message is not None
    assert message.get_text() == "Die Organisation Acme Werke erlaubt keine App-Passwörter."
    assert live.services.app_passwords.list_own(user_id) == []
    browser.http.close()
