"""The console's help with a member's password (issue 14, item 4): from the member list to a page
that says what each action does, then a temporary password or a reset link; the refusals on
that page; and the organisation's ``password_reset_allowed`` checkbox, refused with SSO."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.test_console import OPERATOR, acme, page_of, signed_in
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

TEMPORARY = "a temporary passphrase 4711"
PASSWORD_PAGE = "/admin/orgs/acme/members/bob/password"

__all__ = ["acme"]  # the fixture, shared with the console's other tests


def _form(page: Page, form_id: str) -> tuple[str, dict[str, str]]:
    form = page.soup.find("form", id=form_id)
    assert form is not None, page.html[:500]
    fields = {  # a ticked box without a value sends "on", as browsers do
        str(i["name"]): str(i.get("value", "on" if i.get("type") == "checkbox" else ""))
        for i in form.find_all("input")
        if i.get("name") and (i.get("type") != "checkbox" or i.has_attr("checked"))
    }
    for select in form.find_all("select"):
        chosen = select.find("option", selected=True) or select.find("option")
        fields[str(select["name"])] = str(chosen["value"])
    return str(form["action"]), fields


def _post(live: LiveBridge, browser: Browser, form_id: str, **fields: str) -> Page:
    action, data = _form(page_of(browser), form_id)
    response = browser.post_raw(f"{live.url}{action}", {**data, **fields})
    if response.status_code == 303:
        opened = browser.open(live.url + response.headers["Location"])
        assert isinstance(opened, Page)
        return opened
    return Page(response.url, response.status_code, response.text)


def _password_page(live: LiveBridge) -> Browser:
    live.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    browser = signed_in(live, "ada")
    link = page_of(browser).soup.select_one('tr[data-username="bob"] a.member-password')
    assert link is not None
    page = browser.open(live.url + str(link["href"]))
    assert isinstance(page, Page) and page.title == "Password of bob", page
    return browser


def _works(live: LiveBridge, username: str, password: str) -> bool:
    return live.services.users.check_password(username, password).user_id is not None


def test_the_member_list_links_each_other_member_s_password_page(acme: LiveBridge) -> None:
    page = page_of(signed_in(acme, "ada"))
    rows = {
        str(row["data-username"]): row.select_one("a.member-password") is not None
        for row in page.soup.select("#members tbody tr")
    }
    assert rows == {"ada": False, "bob": True, "carol": True}


def test_the_page_says_what_each_action_does_before_anything_happens(acme: LiveBridge) -> None:
    page = page_of(_password_page(acme))
    said = page.soup.select_one("#temporary-password-consequence").get_text(" ", strip=True)
    assert "signed out everywhere" in said and "after their second factor" in said
    said = page.soup.select_one("#reset-link-consequence").get_text(" ", strip=True)
    assert "works once, for 15 minutes" in said
    assert _works(acme, "bob", PASSWORD)
    assert acme.audit("password_set_by_admin") == []


def test_an_admin_sets_a_temporary_password(acme: LiveBridge) -> None:
    browser = _password_page(acme)
    page = _post(acme, browser, "temporary-password-form", password=TEMPORARY, confirm=TEMPORARY)
    assert page.title == "Acme: security"
    assert (
        page.soup.select_one("#notice")
        .get_text(strip=True)
        .startswith("The temporary password was set")
    )
    bob = acme.services.users.find("bob")
    assert bob is not None and bob.password_must_change
    assert _works(acme, "bob", TEMPORARY)
    [event] = acme.audit("password_set_by_admin", bob.id)
    assert event.details["via"] == "console"


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"password": "short one", "confirm": "short one"}, 422, "at least 15 characters"),
        ({"password": TEMPORARY, "confirm": TEMPORARY + "!"}, 422, "not the same"),
    ],
)
def test_a_refused_password_shows_the_page_again_with_the_reason(
    acme: LiveBridge, fields: dict[str, str], status: int, reason: str
) -> None:
    browser = _password_page(acme)
    page = _post(acme, browser, "temporary-password-form", **fields)
    assert page.status == status and page.title == "Password of bob"
    assert reason in page.errors[0]
    assert _works(acme, "bob", PASSWORD)


def test_an_admin_sends_a_reset_link(acme: LiveBridge) -> None:
    browser = _password_page(acme)
    page = _post(acme, browser, "reset-link-form")
    assert page.soup.select_one("#notice").get_text(strip=True) == (
        "A password reset link was mailed to the member."
    )
    assert len(acme.audit("password_reset_link_sent_by_admin")) == 1


def test_a_member_who_is_no_admin_is_refused(acme: LiveBridge) -> None:
    browser = signed_in(acme, "carol", PASSWORD_PAGE)
    assert page_of(browser).status == 403
    assert _works(acme, "bob", PASSWORD)


def test_a_user_of_another_organisation_has_no_page_here(acme: LiveBridge) -> None:
    acme.add_user("dan")
    browser = signed_in(acme, "ada", "/admin/orgs/acme/members/dan/password")
    page = page_of(browser)
    assert page.status == 404
    assert "'dan' is not a member of" in page.soup.get_text(" ", strip=True)


def _policy(live: LiveBridge, browser: Browser, **changes: Any) -> Page:
    page = browser.open(f"{live.url}/admin/orgs/acme")
    assert isinstance(page, Page)
    action, data = _form(page, "policy-form")
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    response = browser.post_raw(f"{live.url}{action}", data)
    return Page(response.url, response.status_code, response.text)


def test_the_policy_form_turns_reset_links_off_and_on(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    box = page_of(browser).soup.select_one("#password_reset_allowed")
    assert box is not None and box.has_attr("checked")
    before = acme.services.orgs.policy(OPERATOR, "acme")
    assert _policy(acme, browser, password_reset_allowed=None).status == 303
    after = acme.services.orgs.policy(OPERATOR, "acme")
    assert after == {**before, "password_reset_allowed": False}
    assert _policy(acme, browser, password_reset_allowed="on").status == 303
    assert acme.services.orgs.policy(OPERATOR, "acme")["password_reset_allowed"] is True


def test_reset_links_cannot_be_turned_on_with_sso_and_the_form_says_why(
    acme: LiveBridge,
) -> None:
    acme.services.provider_admin.add(
        OPERATOR,
        "acme",
        {"alias": "okta", "issuer": "https://acme.okta.example", "client_id": "bridge"},
    )
    acme.services.orgs.update_policy(
        OPERATOR,
        "acme",
        {"sso_enabled": True, "sso_idp_alias": "okta", "password_reset_allowed": False},
    )
    browser = signed_in(acme, "ada")
    page = _policy(acme, browser, password_reset_allowed="on")
    assert page.status == 409
    [error] = page.errors
    assert "Password reset links cannot be allowed with single sign-on" in error
    assert "'Acme' uses single sign-on" in error
    assert "'Password reset links' cannot be turned on" in error
    assert acme.services.orgs.policy(OPERATOR, "acme")["password_reset_allowed"] is False
