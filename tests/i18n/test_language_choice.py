"""Which language a page is in (issue 13): the application's ``ui_locales``, then the person's
saved choice, then ``Accept-Language``, then the organisation's default, then ``ui.language``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bridge.domain.language import choose_language
from bridge.services.orgs import Actor
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty

Reading = Callable[[str], Browser]


def sign_in_page(browser: Browser, url: str) -> Page:
    page = browser.open(url)
    assert isinstance(page, Page), page
    return page


def language_of(page: Page) -> str:
    html = page.soup.find("html")
    assert html is not None
    return str(html["lang"])


def nothing(value: str | None = None) -> Callable[[], str | None]:
    return lambda: value


def test_the_hints_are_asked_in_order_and_only_when_needed() -> None:
    asked: list[str] = []

    def hint(name: str, value: str | None) -> Callable[[], str | None]:
        def answer() -> str | None:
            asked.append(name)
            return value

        return answer

    chosen = choose_language(
        ui_locales="fr de",
        saved=hint("saved", "en"),
        accepted=hint("accepted", "en"),
        organisation=hint("organisation", "en"),
        default="en",
    )
    assert chosen == "de" and asked == []
    chosen = choose_language(
        ui_locales="fr",
        saved=hint("saved", None),
        accepted=hint("accepted", "de-AT"),
        organisation=hint("organisation", "en"),
        default="en",
    )
    assert chosen == "de" and asked == ["saved", "accepted"]


def test_unknown_languages_fall_back_to_the_configured_default() -> None:
    chosen = choose_language(
        ui_locales="xx-YY",
        saved=nothing("klingon"),
        accepted=nothing(),
        organisation=nothing(""),
        default="de",
    )
    assert chosen == "de"


def test_accept_language_de_shows_the_sign_in_page_in_german(
    rp: RelyingParty, reading: Reading
) -> None:
    page = sign_in_page(reading("de-DE,de;q=0.9,en;q=0.5"), rp.authorization_request().url)
    assert language_of(page) == "de"
    assert page.title == "Anmelden"
    assert "Benutzername oder E-Mail-Adresse" in page.html


def test_an_english_browser_keeps_the_english_page(rp: RelyingParty, reading: Reading) -> None:
    page = sign_in_page(reading("en-GB,en;q=0.9"), rp.authorization_request().url)
    assert language_of(page) == "en" and page.title == "Sign in"


def test_the_applications_ui_locales_comes_before_the_browser(
    rp: RelyingParty, reading: Reading
) -> None:
    request = rp.authorization_request(ui_locales="de")
    page = sign_in_page(reading("en"), request.url)
    assert language_of(page) == "de" and page.title == "Anmelden"


def test_a_flow_message_is_shown_in_the_pages_language(
    live: LiveBridge, rp: RelyingParty, reading: Reading
) -> None:
    live.add_user("alice")
    browser = reading("de")
    sign_in_page(browser, rp.authorization_request().url)
    page = browser.submit(username="alice", password="not the password")
    assert isinstance(page, Page)
    assert page.errors == ["Benutzername oder Kennwort ist falsch."]
    field = page.soup.find(id="password")
    assert field is not None and field["aria-invalid"] == "true"
    assert "form-errors" in str(field["aria-describedby"])


def test_the_persons_saved_choice_comes_before_the_browser(
    live: LiveBridge, rp: RelyingParty, reading: Reading
) -> None:
    user_id = live.add_user("alice")
    live.services.languages.choose(user_id, "de")
    browser = reading("en")
    sign_in_page(browser, rp.authorization_request().url)
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page)
    assert language_of(page) == "de"
    assert page.title == "Zwei-Faktor-Authentifizierung einrichten"


def test_the_enrolment_page_names_the_organisation_that_requires_it(
    live: LiveBridge, rp: RelyingParty, reading: Reading
) -> None:
    live.add_user("alice")
    operator = Actor.operator()
    live.services.orgs.create(operator, "acme", "Acme Werke GmbH", kind="standalone")
    live.services.orgs.update_policy(operator, "acme", {"mfa_enforced": True})
    live.services.members.add(operator, "acme", "alice", "member")
    browser = reading("de")
    sign_in_page(browser, rp.authorization_request().url)
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page)
    assert "Ihre Organisation Acme Werke GmbH verlangt die Zwei-Faktor-Authentifizierung." in (
        page.html
    )


def test_a_user_in_no_organisation_is_not_told_an_organisation_requires_it(
    live: LiveBridge, rp: RelyingParty, reading: Reading
) -> None:
    live.add_user("alice")
    browser = reading("en")
    sign_in_page(browser, rp.authorization_request().url)
    page = browser.submit(username="alice", password=PASSWORD)
    assert isinstance(page, Page)
    assert "organisation" not in page.soup.get_text(" ").split("Set up")[1].split("Scan")[0]
    assert "Every account here needs two-factor authentication." in page.html


def test_the_organisations_default_comes_after_the_browser(
    live: LiveBridge, rp: RelyingParty, reading: Reading
) -> None:
    operator = Actor.operator()
    org = live.services.orgs.create(operator, "acme", "Acme", kind="standalone")
    live.services.languages.set_organisation_default(org.id, "de")
    client_id, secret = live.add_client()
    live.services.orgs.assign_client(operator, "acme", client_id)
    acme_rp = RelyingParty(live.url, client_id, secret, now=live.clock)
    french = sign_in_page(reading("fr"), acme_rp.authorization_request().url)
    assert language_of(french) == "de"
    english = sign_in_page(reading("en"), acme_rp.authorization_request().url)
    assert language_of(english) == "en"


@pytest.mark.bridge_env({"BRIDGE_UI__LANGUAGE": "de"})
def test_the_configured_default_speaks_when_nothing_else_does(
    rp: RelyingParty, reading: Reading
) -> None:
    page = sign_in_page(reading("fr"), rp.authorization_request().url)
    assert language_of(page) == "de"


def test_an_error_page_speaks_the_browsers_language(live: LiveBridge, reading: Reading) -> None:
    page = sign_in_page(reading("de"), f"{live.url}/login/no-such-login")
    assert page.status == 400
    assert "Diese Anmeldung ist abgelaufen oder existiert nicht." in page.html


@pytest.mark.parametrize(
    "accept_language", ["*", "de;q=x", ";;;", "x" * 300, "de-" * 50, "\u00e4\u00f6"]
)
def test_a_strange_accept_language_is_never_an_error(
    rp: RelyingParty, reading: Reading, accept_language: str
) -> None:
    browser = reading("en")
    browser.http.headers["Accept-Language"] = accept_language.encode().decode("latin-1")
    page = sign_in_page(browser, rp.authorization_request().url)
    assert page.status == 200


@pytest.mark.parametrize("ui_locales", ["", " ", "de" * 200, "\u00fc", "de\x00"])
def test_strange_ui_locales_are_never_an_error(
    rp: RelyingParty, reading: Reading, ui_locales: str
) -> None:
    page = sign_in_page(reading("en"), rp.authorization_request(ui_locales=ui_locales).url)
    assert page.status in (200, 400)


def test_discovery_lists_the_ui_locales(rp: RelyingParty) -> None:
    assert rp.metadata["ui_locales_supported"] == ["en", "de"]
