"""A German-speaking person signs in on a phone in dark mode (with the authenticator's code, or
with a recovery code), and one whose application asks for German with ``ui_locales``: every page
in German, with no axe violation, every control at least 24 x 24 px and reachable, nothing wider
than the screen; times in the browser's zone from the first page on (issue 13)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from bridge.services.orgs import Actor
from tests.e2e.axe import check_accessible
from tests.e2e.factor_life import code_of, codes_for, enrolled_user, wrong_code
from tests.e2e.harness import PASSWORD, LiveBridge, RelyingParty, callback_params

pytestmark = pytest.mark.browser

OPERATOR = Actor.operator()
PHONE = {"width": 390, "height": 844}
APP = re.compile(r"^http://127\.0\.0\.1:9/.*")


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def open_page(
    chromium: Browser, contexts: list[BrowserContext], *, locale: str, scheme: str, width: int
) -> Page:
    context = chromium.new_context(
        locale=locale,
        color_scheme=scheme,  # type: ignore[arg-type]
        viewport={"width": width, "height": PHONE["height"]},
        extra_http_headers={"Accept-Language": locale},
    )
    contexts.append(context)
    page = context.new_page()
    page.route(APP, lambda route: route.fulfill(body="signed in"))
    return page


def enrol_in_german(page: Page, live: LiveBridge, url: str) -> None:
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_role("heading", name="Anmelden").wait_for()
    check_accessible(page)
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill("paula")
    page.get_by_label("Kennwort").fill("falsch und falsch")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Benutzername oder Kennwort ist falsch.").wait_for()
    assert page.get_by_label("Kennwort").get_attribute("aria-invalid") == "true"
    check_accessible(page)
    page.get_by_label("Kennwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.get_by_role("heading", name="Zwei-Faktor-Authentifizierung einrichten").wait_for()
    page.get_by_text("Sie können den Code nicht scannen?").click()
    check_accessible(page)
    secret = re.sub(r"\s", "", page.locator("#secret").inner_text())
    field = page.get_by_label("Geben Sie zum Abschluss den 6-stelligen Code ein")
    field.fill("000000" if pyotp.TOTP(secret).at(live.clock()) != "000000" else "111111")
    page.get_by_role("button", name="Aktivieren").click()
    page.get_by_text("Dieser Code passt nicht.").wait_for()
    check_accessible(page)
    field.fill(pyotp.TOTP(secret).at(live.clock()))
    page.get_by_role("button", name="Aktivieren").click()

    page.get_by_role("heading", name="Speichern Sie Ihre Wiederherstellungscodes").wait_for()
    check_accessible(page)
    page.get_by_label("Ich habe meine Wiederherstellungscodes gespeichert").check()
    page.get_by_role("button", name="Weiter").click()
    page.get_by_text("signed in").wait_for()


def test_a_german_browser_on_a_phone_in_dark_mode_signs_in_in_german(
    live: LiveBridge, rp: RelyingParty, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    live.add_user("paula")
    page = open_page(chromium, contexts, locale="de-DE", scheme="dark", width=PHONE["width"])
    enrol_in_german(page, live, rp.authorization_request().url)

    # The next sign-in asks for the code, offers the recovery code, and trusts the browser.
    live.clock.advance(30)
    second = open_page(chromium, contexts, locale="de-DE", scheme="dark", width=PHONE["width"])
    second.goto(rp.authorization_request(prompt="login").url)
    second.get_by_label("Benutzername oder E-Mail-Adresse").fill("paula")
    second.get_by_label("Kennwort").fill(PASSWORD)
    second.get_by_role("button", name="Anmelden").click()
    second.get_by_role("heading", name="Zwei-Faktor-Authentifizierung").wait_for()
    assert second.get_by_text("Diesem Browser 30 Tage lang vertrauen").is_visible()
    check_accessible(second)
    second.get_by_role("button", name="Wiederherstellungscode verwenden").click()
    second.get_by_role("heading", name="Wiederherstellungscode verwenden").wait_for()
    check_accessible(second)


def test_the_card_is_dark_with_light_text_in_dark_mode(
    live: LiveBridge, rp: RelyingParty, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    page = open_page(chromium, contexts, locale="de-DE", scheme="dark", width=PHONE["width"])
    page.goto(rp.authorization_request().url)
    colours = page.evaluate(
        """() => { const card = getComputedStyle(document.querySelector('main.card'));
                   return [card.backgroundColor, card.color]; }"""
    )
    assert colours == ["rgb(32, 35, 42)", "rgb(231, 233, 238)"]


def test_ui_locales_de_in_an_english_browser_in_light_mode(
    live: LiveBridge, rp: RelyingParty, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    live.add_user("paula")
    page = open_page(chromium, contexts, locale="en-GB", scheme="light", width=1280)
    enrol_in_german(page, live, rp.authorization_request(ui_locales="de").url)


def test_an_english_browser_on_a_phone_in_dark_mode_gets_english_pages(
    live: LiveBridge, rp: RelyingParty, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    page = open_page(chromium, contexts, locale="en-GB", scheme="dark", width=PHONE["width"])
    page.goto(rp.authorization_request().url)
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("heading", name="Sign in").wait_for()
    check_accessible(page)


def test_the_account_page_in_german_on_a_phone_in_dark_mode(
    live: LiveBridge, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    _, secret = enrolled_user(live, "paula")
    page = open_page(chromium, contexts, locale="de-DE", scheme="dark", width=PHONE["width"])
    page.goto(f"{live.url}/account")
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill("paula")
    page.get_by_label("Kennwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_label("Authentifizierungscode").fill(code_of(live, secret))
    page.get_by_role("button", name="Bestätigen").click()
    page.get_by_role("heading", name="Ihr Konto").wait_for()
    assert page.locator("#amr").inner_text() == "Kennwort und Authentifizierungs-App"
    check_accessible(page)
    page.get_by_label("Sprache Ihrer Seiten und E-Mails").select_option("en")
    page.get_by_role("button", name="Sprache speichern").click()
    page.get_by_role("heading", name="Your account").wait_for()
    check_accessible(page)


def test_the_console_in_german_on_a_phone_in_dark_mode_confirms_before_it_deletes(
    live: LiveBridge, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme Werke GmbH")
    s.orgs.add_domain(OPERATOR, "acme", "example.com")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    page = open_page(chromium, contexts, locale="de-DE", scheme="dark", width=PHONE["width"])
    page.goto(f"{live.url}/admin/orgs/acme")
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill("ada")
    page.get_by_label("Kennwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Acme Werke GmbH: Sicherheit").wait_for()
    check_accessible(page)
    row = page.locator('tr[data-username="bob"]')
    row.get_by_role("button", name="In Dienstkonto umwandeln").click()
    page.get_by_role("heading", name="In Dienstkonto umwandeln für bob?").wait_for()
    check_accessible(page)
    assert not s.users.find("bob").service_account  # type: ignore[union-attr]
    page.get_by_role("button", name="In Dienstkonto umwandeln").click()
    page.get_by_text("Das Mitglied ist jetzt ein Dienstkonto (ohne 2FA).").wait_for()
    assert s.users.find("bob").service_account  # type: ignore[union-attr]
    check_accessible(page)


def test_the_consoles_audit_providers_and_sign_in_pages_in_german_in_the_browsers_time_zone(
    live: LiveBridge, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme Werke GmbH")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    s.members.require_mfa(OPERATOR, "acme", "bob")
    context = chromium.new_context(
        locale="de-DE",
        timezone_id="Europe/Berlin",
        color_scheme="dark",
        viewport={"width": PHONE["width"], "height": PHONE["height"]},
        extra_http_headers={"Accept-Language": "de-DE"},
    )
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{live.url}/admin/orgs/acme")
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill("ada")
    page.get_by_label("Kennwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Acme Werke GmbH: Sicherheit").wait_for()
    assert {c["name"]: c["value"] for c in context.cookies()}.get("tz") == "Europe/Berlin"

    page.goto(f"{live.url}/admin/orgs/acme/audit")
    page.get_by_role("heading", name="Acme Werke GmbH: Protokoll").wait_for()
    when = page.locator("#audit tbody tr td").first.inner_text()
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d \(Europe/Berlin\)", when), when
    check_accessible(page)

    page.goto(f"{live.url}/admin/orgs/acme/identity-providers")
    page.get_by_role("heading", name="Acme Werke GmbH: Single-Sign-on-Anbieter").wait_for()
    check_accessible(page)

    page.goto(f"{live.url}/admin/orgs/acme/members/bob/sign-in")
    page.get_by_role("heading", name="So meldet sich bob an").wait_for()
    assert page.locator("#why li").first.inner_text() == (
        "Ein Administrator verlangt die Zwei-Faktor-Authentifizierung für bob."
    )
    check_accessible(page)


def test_a_german_person_signs_in_with_a_recovery_code_on_a_phone_in_dark_mode(
    live: LiveBridge, rp: RelyingParty, chromium: Browser, contexts: list[BrowserContext]
) -> None:
    user_id, secret = enrolled_user(live, "paula")
    codes = codes_for(live, user_id)
    page = open_page(chromium, contexts, locale="de-DE", scheme="dark", width=PHONE["width"])
    request = rp.authorization_request()
    page.goto(request.url)
    page.get_by_role("heading", name="Anmelden").wait_for()
    check_accessible(page)
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill("paula")
    page.get_by_label("Kennwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.get_by_role("heading", name="Zwei-Faktor-Authentifizierung").wait_for()
    hint = page.locator("#code-hint").inner_text()
    assert hint == "Geben Sie den 6-stelligen Code aus Ihrer Authentifizierungs-App ein."
    check_accessible(page)
    page.get_by_role("button", name="Wiederherstellungscode verwenden").click()

    page.get_by_role("heading", name="Wiederherstellungscode verwenden").wait_for()
    assert (
        page.locator("#recovery-hint")
        .inner_text()
        .startswith("Geben Sie einen der Wiederherstellungscodes ein")
    )
    check_accessible(page)
    field = page.get_by_label("Wiederherstellungscode", exact=True)
    field.fill(wrong_code(live, secret))  # an authenticator's code is no recovery code
    page.get_by_role("button", name="Bestätigen").click()
    page.get_by_text("Dieser Wiederherstellungscode ist ungültig oder wurde bereits").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    check_accessible(page)
    field.fill(codes[0])
    page.get_by_role("button", name="Bestätigen").click()

    page.get_by_text("signed in").wait_for()
    tokens = rp.exchange(callback_params(page.url)["code"], request.verifier).json()
    claims = rp.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa", "recovery_code"]
    assert live.services.recovery.remaining(user_id) == 9


# 2023-11-14 23:30 UTC: already the 15th in Berlin, still the 14th in New York.
FIRST_PAGE_MOMENT = 1_700_004_600.0


@pytest.mark.parametrize(
    ("locale", "zone", "in_utc", "in_zone"),
    [
        ("de-DE", "Europe/Berlin", "14.11.2023, 23:30 (UTC)", "15.11.2023, 00:30 (Europe/Berlin)"),
        ("en-US", "America/New_York", "2023-11-14 23:30 UTC", "2023-11-14 18:30 America/New_York"),
    ],
)
def test_the_first_page_shows_its_times_in_the_browsers_zone(
    live: LiveBridge,
    chromium: Browser,
    contexts: list[BrowserContext],
    locale: str,
    zone: str,
    in_utc: str,
    in_zone: str,
) -> None:
    """Before ``timezone.js`` set its cookie the server writes UTC, saying so; the script
    writes each time again in the browser's zone, as the server does once it knows it."""
    live.clock.set(FIRST_PAGE_MOMENT)
    user_id, _ = enrolled_user(live, "paula")
    live.services.trusted_devices.trust(user_id, "Firefox on Linux", 30)
    session = live.services.sessions.create(user_id, ("pwd", "otp"), int(live.clock()), None)
    for javascript in (True, False):
        context = chromium.new_context(
            locale=locale,
            timezone_id=zone,
            color_scheme="dark",
            viewport=PHONE,  # type: ignore[arg-type]
            extra_http_headers={"Accept-Language": locale},
            java_script_enabled=javascript,
        )
        contexts.append(context)
        name = live.services.settings.session.cookie_name
        context.add_cookies([{"name": name, "value": session, "url": live.url}])
        page = context.new_page()
        response = page.goto(f"{live.url}/account")
        assert response is not None and in_utc in response.text()  # the server's first page
        first = page.locator("#trusted-browsers time").first
        if not javascript:  # no script, no cookie: UTC, and it says so
            assert first.inner_text() == in_utc
            continue
        assert first.inner_text() == in_zone
        assert {c["name"]: c["value"] for c in context.cookies()}.get("tz") == zone
        check_accessible(page)
        # The next page comes from the server in the browser's zone, in the same words.
        again = context.request.get(f"{live.url}/account")
        assert in_zone in again.text() and in_utc not in again.text()
