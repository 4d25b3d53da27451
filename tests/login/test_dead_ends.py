"""Pages that end a journey say what to do next (issue 13): a locked account names who can
unlock it (on the page that ends a login locked by codes, and on the sign-in page that met the
right password of a locked account), and the refused 2FA switch-off leads back to the account
page."""

from __future__ import annotations

from bridge.services.orgs import Actor
from tests.e2e.factor_life import code_of, enrolled_user, org_with, to_code_page, wrong_code
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty

OPERATOR = Actor.operator()


def test_the_locked_account_page_names_the_admins_who_can_unlock_it(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    live.add_user("olga")
    org_with(live, "acme", ["ada"])
    live.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    live.services.members.add(OPERATOR, "acme", "olga", "admin")
    to_code_page(rp, browser, "ada")
    for _ in range(3):
        page = browser.submit(code=wrong_code(live, secret))
    assert isinstance(page, Page) and page.status == 403
    contacts = page.soup.select_one("#admin-contacts")
    assert contacts is not None and contacts.get_text(strip=True) == "olga <olga@example.com>"
    assert "go back to the application and sign in again" in page.html


def locked_member_of_acme(live: LiveBridge, admins: list[str]) -> None:
    """ada, a member of acme whose account is locked, and acme's ``admins``."""
    ada = live.add_user("ada")
    org_with(live, "acme", ["ada"])
    live.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    for name in admins:
        live.add_user(name)
        live.services.members.add(OPERATOR, "acme", name, "admin")
    assert live.services.lockout.lock(ada, reason="passwords")


def sign_in_page_of_locked(
    live: LiveBridge, rp: RelyingParty, browser: Browser, language: str
) -> Page:
    browser.http.headers["Accept-Language"] = language
    browser.open(rp.authorization_request().url)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.status == 200
    return page


def texts(page: Page, selector: str) -> list[str]:
    return [tag.get_text(" ", strip=True) for tag in page.soup.select(selector)]


def test_the_sign_in_page_of_a_locked_account_names_the_admins_and_the_next_step(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    locked_member_of_acme(live, ["olga", "oscar"])
    page = sign_in_page_of_locked(live, rp, browser, "en")
    assert texts(page, "#form-errors p") == [
        "Your account is locked after too many failed attempts. "
        "Contact an administrator of your organisation to unlock it."
    ]
    assert texts(page, "#next-steps p") == [
        "Ask one of your administrators to unlock your account:",
        "Once it is unlocked, go back to the application and sign in again.",
    ]
    assert texts(page, "#admin-contacts li") == [
        "olga <olga@example.com>",
        "oscar <oscar@example.com>",
    ]
    assert page.soup.find("input", attrs={"name": "password"}) is not None
    page = browser.open(page.url)  # said once, with the password that proved it
    assert isinstance(page, Page) and page.soup.select_one("#next-steps") is None


def test_the_sign_in_page_of_a_locked_account_in_german(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    locked_member_of_acme(live, ["olga"])
    page = sign_in_page_of_locked(live, rp, browser, "de")
    assert texts(page, "#form-errors p") == [
        "Ihr Konto wurde nach zu vielen Fehlversuchen gesperrt. Wenden Sie sich an einen "
        "Administrator Ihrer Organisation, um es entsperren zu lassen."
    ]
    assert texts(page, "#next-steps-heading") == ["Was Sie tun können"]
    assert texts(page, "#next-steps p") == [
        "Bitten Sie Ihren Administrator, Ihr Konto zu entsperren:",
        "Sobald es entsperrt ist, kehren Sie zur Anwendung zurück und melden sich erneut an.",
    ]
    assert texts(page, "#admin-contacts li") == ["olga <olga@example.com>"]


def test_the_sign_in_page_of_a_locked_account_names_at_most_five_admins(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    admins = [f"admin{n}" for n in range(1, 7)]
    locked_member_of_acme(live, admins)
    page = sign_in_page_of_locked(live, rp, browser, "en")
    assert texts(page, "#admin-contacts li") == [f"{a} <{a}@example.com>" for a in admins[:5]]


def test_the_sign_in_page_of_a_locked_account_without_admins_says_whom_to_ask(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    locked_member_of_acme(live, [])
    page = sign_in_page_of_locked(live, rp, browser, "en")
    assert page.soup.select_one("#admin-contacts") is None
    assert texts(page, "#next-steps p")[0] == (
        "Ask an administrator of your organisation to unlock your account."
    )


def test_a_wrong_password_of_a_locked_account_names_nobody(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    locked_member_of_acme(live, ["olga"])
    browser.open(rp.authorization_request().url)
    page = browser.submit(username="ada", password="not the password")
    assert isinstance(page, Page)
    assert texts(page, "#form-errors p") == ["Incorrect username or password."]
    assert page.soup.select_one("#next-steps") is None
    assert "olga" not in page.html


def test_the_2fa_stays_on_page_leads_back_to_the_account(
    live: LiveBridge, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    org_with(live, "acme", ["ada"], mfa_enforced=True)
    browser.open(live.url + "/account")
    browser.submit(username="ada", password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page)
    live.clock.advance(30)
    token = page.soup.find("input", attrs={"name": "csrf_token"})
    assert token is not None
    response = browser.http.post(
        f"{live.url}/account/disable",
        data={"csrf_token": str(token["value"]), "code": code_of(live, secret)},
    )
    assert response.status_code == 409, response.text[:300]
    assert 'id="back-to-account"' in response.text
