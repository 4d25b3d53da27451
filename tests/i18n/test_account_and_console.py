"""The account page and the console in both languages (issue 13): plain words for how a person
signed in, the language choice, and a confirmation before a destructive console action."""

from __future__ import annotations

import pytest

from bridge.services.orgs import Actor
from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

OPERATOR = Actor.operator()


def account(live: LiveBridge, browser: Browser, username: str, secret: str) -> Page:
    browser.open(live.url + "/account")
    browser.submit(username=username, password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page), page
    live.clock.advance(30)
    return page


def form_token(page: Page) -> str:
    token = page.soup.find("input", attrs={"name": "csrf_token"})
    assert token is not None
    return str(token["value"])


def test_the_account_page_says_in_plain_words_how_the_person_signed_in(
    live: LiveBridge, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    page = account(live, browser, "ada", secret)
    assert page.soup.find(id="amr").get_text() == "password and authenticator app"  # type: ignore[union-attr]


def test_a_person_chooses_german_on_the_account_page(live: LiveBridge, browser: Browser) -> None:
    user_id, secret = enrolled_user(live, "ada")
    page = account(live, browser, "ada", secret)
    response = browser.http.post(
        f"{live.url}/account/language",
        data={"csrf_token": form_token(page), "language": "de"},
        allow_redirects=False,
    )
    assert response.status_code == 303
    assert live.services.languages.saved(user_id) == "de"
    page = browser.open(live.url + "/account")
    assert isinstance(page, Page) and page.title == "Ihr Konto"
    assert page.soup.find(id="amr").get_text() == "Kennwort und Authentifizierungs-App"  # type: ignore[union-attr]
    assert page.soup.find(id="mfa-status").get_text() == "Konfiguriert"  # type: ignore[union-attr]


@pytest.mark.parametrize("language", ["fr", "x" * 5000, "\u00e4"])
def test_an_unknown_language_on_the_account_page_is_refused_not_an_error(
    live: LiveBridge, browser: Browser, language: str
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    page = account(live, browser, "ada", secret)
    response = browser.http.post(
        f"{live.url}/account/language",
        data={"csrf_token": form_token(page), "language": language},
        allow_redirects=False,
    )
    assert response.status_code == 422
    assert live.services.languages.saved(user_id) is None


@pytest.fixture
def acme(live: LiveBridge) -> LiveBridge:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme Werke")
    s.orgs.add_domain(OPERATOR, "acme", "example.com")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    return live


def console(live: LiveBridge, accept_language: str = "en") -> tuple[Browser, Page]:
    browser = Browser()
    browser.http.headers["Accept-Language"] = accept_language
    browser.open(f"{live.url}/admin/orgs/acme")
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page), page
    return browser, page


def test_making_a_service_account_asks_first_and_says_what_it_deletes(acme: LiveBridge) -> None:
    browser, page = console(acme)
    form = page.soup.select_one('tr[data-username="bob"] form[action$="/to-service-account"]')
    assert form is not None and form.get_text(strip=True) == "Make service account"
    fields = {i["name"]: i["value"] for i in form.find_all("input")}
    assert fields["step"] == "confirm"
    asked = browser._follow(
        browser.http.post(f"{acme.url}{form['action']}", data=fields, allow_redirects=False)
    )
    assert isinstance(asked, Page) and asked.status == 200
    assert asked.title == "Make service account for bob?"
    assert "never asked for a second factor again" in asked.html
    bob = acme.services.users.find("bob")
    assert bob is not None and not bob.service_account
    done = browser.submit()
    assert isinstance(done, Page)
    assert "The member is now a service account (no 2FA)." in done.html
    bob = acme.services.users.find("bob")
    assert bob is not None and bob.service_account
    browser.http.close()


def test_the_console_speaks_german_to_a_german_browser(acme: LiveBridge) -> None:
    acme.services.members.require_mfa(OPERATOR, "acme", "bob")
    browser, page = console(acme, "de")
    assert page.title == "Acme Werke: Sicherheit"
    assert "Zwei-Faktor-Authentifizierung für jedes Mitglied verlangen" in page.html
    status = page.soup.select_one('tr[data-username="bob"] td.status')
    assert status is not None and status.get_text(strip=True) == "Setup erforderlich"
    status = page.soup.select_one('tr[data-username="ada"] td.status')
    assert status is not None and status.get_text(strip=True) == "Nicht erforderlich"
    browser.http.close()


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/audit", "Acme Werke: Protokoll"),
        ("/identity-providers", "Acme Werke: Single-Sign-on-Anbieter"),
        ("/api-clients", "Acme Werke: API-Clients"),
    ],
)
def test_the_console_s_other_pages_speak_german_to_a_german_browser(
    acme: LiveBridge, path: str, title: str
) -> None:
    browser, _ = console(acme, "de")
    page = browser.open(f"{acme.url}/admin/orgs/acme{path}")
    assert isinstance(page, Page) and page.title == title
    assert "Zurück zu" in page.html or "Zurück zu den Sicherheitseinstellungen" in page.html
    browser.http.close()


def test_a_refused_api_client_is_explained_in_german(acme: LiveBridge) -> None:
    browser, _ = console(acme, "de")
    clients = browser.open(f"{acme.url}/admin/orgs/acme/api-clients")
    assert isinstance(clients, Page)
    response = browser.http.post(
        f"{acme.url}/admin/orgs/acme/api-clients",
        data={"csrf_token": form_token(clients), "name": "x", "scopes": "a", "jwks": "{"},
    )
    assert response.status_code == 422
    assert "Die öffentlichen Schlüssel müssen ein JWK Set in JSON sein." in response.text
    browser.http.close()


def test_a_refused_policy_is_explained_in_german_with_the_field_s_label(acme: LiveBridge) -> None:
    browser, page = console(acme, "de")
    response = browser.http.post(
        f"{acme.url}/admin/orgs/acme/policy",
        data={"csrf_token": form_token(page), "section": "policy", "trusted_browser_days": "3"},
    )
    assert response.status_code == 422
    assert (
        "„Tage, die einem Browser vertraut wird“ muss eine ganze Zahl von 7 bis 90 sein."
        in response.text
    )
    browser.http.close()
