"""The console's page of a member's account (issue 14): from the member list to a page that says
what disabling, enabling and deleting do, then each of them over HTTP, with the rules of the
admin API (``member_accounts``) shown as form errors, in the admin's language."""

from __future__ import annotations

import pytest

from tests.admin.test_console import OPERATOR, acme, page_of, signed_in
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

ACCOUNT_PAGE = "/admin/orgs/acme/members/bob/account"

__all__ = ["acme"]  # the fixture, shared with the console's other tests


def _post(live: LiveBridge, browser: Browser, form_id: str, **extra: str) -> Page:
    """Send the form ``form_id`` of the page as a browser would (a ticked box sends "on")."""
    form = page_of(browser).soup.find("form", id=form_id)
    assert form is not None, page_of(browser).html[:500]
    fields = {
        str(i["name"]): str(i.get("value", "")) for i in form.find_all("input", type="hidden")
    }
    response = browser.post_raw(f"{live.url}{form['action']}", {**fields, **extra})
    if response.status_code == 303:
        opened = browser.open(live.url + response.headers["Location"])
        assert isinstance(opened, Page)
        return opened
    return Page(response.url, response.status_code, response.text)


def _account_page(live: LiveBridge, username: str = "bob", as_user: str = "ada") -> Browser:
    browser = signed_in(live, as_user)
    link = page_of(browser).soup.select_one(f'tr[data-username="{username}"] a.member-account')
    assert link is not None
    page = browser.open(live.url + str(link["href"]))
    assert isinstance(page, Page) and page.status == 200, page
    return browser


def _notice(page: Page) -> str:
    return page.soup.select_one("#notice").get_text(strip=True)


def _signs_in(live: LiveBridge, username: str) -> bool:
    return live.services.users.check_password(username, PASSWORD).user_id is not None


@pytest.fixture
def verified(acme: LiveBridge) -> LiveBridge:
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    return acme


def test_the_member_list_links_each_other_member_s_account_page(acme: LiveBridge) -> None:
    page = page_of(signed_in(acme, "ada"))
    rows = {
        str(row["data-username"]): row.select_one("a.member-account") is not None
        for row in page.soup.select("#members tbody tr")
    }
    assert rows == {"ada": False, "bob": True, "carol": True}


def test_the_page_says_what_each_action_does_before_anything_happens(acme: LiveBridge) -> None:
    page = page_of(_account_page(acme))
    assert page.title == "Account of bob"
    said = page.soup.select_one("#disable-consequence").get_text(" ", strip=True)
    assert "can no longer sign in" in said and "app passwords end now" in said
    said = page.soup.select_one("#delete-consequence").get_text(" ", strip=True)
    assert "deleted for good" in said and "pseudonym" in said
    assert page.soup.select_one("#enable-form") is None
    assert _signs_in(acme, "bob") and acme.audit("user_disabled") == []


def test_an_admin_disables_and_enables_a_member_s_account(verified: LiveBridge) -> None:
    browser = _account_page(verified)
    page = _post(verified, browser, "disable-form")
    assert page.title == "Acme: security"
    assert _notice(page).startswith("The account was disabled")
    row = page.soup.select_one('tr[data-username="bob"]')
    assert row.select_one(".account-disabled").get_text(strip=True) == "Account disabled"
    assert not _signs_in(verified, "bob")
    [event] = verified.audit("user_disabled")
    assert event.actor_id == verified.services.users.find("ada").id  # type: ignore[union-attr]
    assert event.details["via"] == "console" and event.details["org"] == "acme"

    page = browser.open(verified.url + ACCOUNT_PAGE)
    assert isinstance(page, Page) and page.soup.select_one("#disable-form") is None
    page = _post(verified, browser, "enable-form")
    assert _notice(page) == "The account was enabled: the member can sign in again."
    assert _signs_in(verified, "bob") and len(verified.audit("user_enabled")) == 1


def test_deleting_needs_the_box_ticked(verified: LiveBridge) -> None:
    browser = _account_page(verified)
    page = _post(verified, browser, "delete-form")
    assert page.status == 422 and page.title == "Account of bob"
    assert "Tick the box to confirm" in page.errors[0]
    assert verified.services.users.find("bob") is not None


def test_an_admin_deletes_a_member_s_account(verified: LiveBridge) -> None:
    bob = verified.services.users.find("bob")
    assert bob is not None
    browser = _account_page(verified)
    page = _post(verified, browser, "delete-form", confirm="on")
    assert _notice(page).startswith("The account was deleted with its personal data")
    assert [r["data-username"] for r in page.soup.select("#members tbody tr")] == ["ada", "carol"]
    assert verified.services.users.find("bob") is None
    [event] = verified.audit("user_deleted")
    assert event.details["via"] == "console" and event.user_id != bob.id  # the pseudonym


def test_deleting_a_member_of_an_unverified_domain_is_refused_on_the_page(
    acme: LiveBridge,
) -> None:
    browser = _account_page(acme)
    page = _post(acme, browser, "delete-form", confirm="on")
    assert page.status == 403 and page.title == "Account of bob"
    [error] = page.errors
    assert "an admin deletes only accounts at the organisation's verified domains" in error
    assert acme.services.users.find("bob") is not None


def test_a_member_of_other_organisations_is_left_to_the_operator(verified: LiveBridge) -> None:
    verified.services.orgs.create(OPERATOR, "globex", "Globex")
    verified.services.members.add(OPERATOR, "globex", "bob", "member")
    browser = _account_page(verified)
    page = _post(verified, browser, "delete-form", confirm="on")
    assert page.status == 403
    [error] = page.errors
    assert "'bob' also belongs to other organisations" in error
    assert "(remove the member from 'Acme' instead)" in error
    assert verified.services.users.find("bob") is not None


def test_disabling_a_member_of_other_organisations_needs_a_verified_domain(
    acme: LiveBridge,
) -> None:
    acme.services.orgs.create(OPERATOR, "globex", "Globex")
    acme.services.members.add(OPERATOR, "globex", "bob", "member")
    browser = _account_page(acme)
    page = _post(acme, browser, "disable-form")
    assert page.status == 403 and page.title == "Account of bob"
    assert page.errors and "example.com" in page.errors[0]
    assert _signs_in(acme, "bob")


def test_an_admin_cannot_act_on_their_own_account(verified: LiveBridge) -> None:
    browser = _account_page(verified, "bob")
    page = browser.open(verified.url + "/admin/orgs/acme/members/ada/account")
    assert isinstance(page, Page)
    page = _post(verified, browser, "disable-form")
    assert page.status == 403
    assert "Admins do not disable or delete their own account here" in page.errors[0]
    assert _signs_in(verified, "ada")


def test_a_member_who_is_no_admin_is_refused(acme: LiveBridge) -> None:
    browser = signed_in(acme, "carol", ACCOUNT_PAGE)
    assert page_of(browser).status == 403


def test_the_page_and_its_refusals_speak_the_admin_s_language(acme: LiveBridge) -> None:
    ada = acme.services.users.find("ada")
    assert ada is not None
    acme.services.languages.choose(ada.id, "de")
    browser = _account_page(acme)
    page = page_of(browser)
    assert page.title == "Konto von bob"
    assert page.soup.select_one("#delete-form button").get_text(strip=True) == "Konto löschen"
    page = _post(acme, browser, "delete-form", confirm="on")
    assert page.status == 403 and page.title == "Konto von bob"
    [error] = page.errors
    assert "Ein Admin löscht nur Konten der verifizierten Domains der Organisation" in error
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    page = _post(acme, browser, "delete-form")
    assert page.errors == [
        "Die Anfrage ist ungültig.Setzen Sie das Häkchen, um zu bestätigen, dass das Konto und "
        "seine Daten gelöscht werden."
    ]
    assert acme.services.users.find("bob") is not None
