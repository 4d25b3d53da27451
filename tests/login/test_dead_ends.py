"""Pages that end a journey say what to do next (issue 13): a locked account names who can
unlock it, and the refused 2FA switch-off leads back to the account page."""

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
