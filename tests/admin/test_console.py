"""The admin console: an admin signs in through the bridge's own login and manages the org."""

from __future__ import annotations

import pytest

from bridge.services.orgs import Actor
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page

OPERATOR = Actor.operator()


@pytest.fixture
def acme(live: LiveBridge) -> LiveBridge:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme")
    for name, role in (("ada", "admin"), ("bob", "member"), ("carol", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    return live


def signed_in(live: LiveBridge, username: str, path: str = "/admin/orgs/acme") -> Browser:
    browser = Browser(stop_at="http://127.0.0.1:9/")
    page = browser.open(f"{live.url}{path}")
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page), page
    return browser


def page_of(browser: Browser) -> Page:
    assert browser.page is not None
    return browser.page


def status_column(page: Page) -> dict[str, str]:
    rows = page.soup.select("#members tbody tr")
    return {str(r["data-username"]): r.select_one("td.status").get_text(strip=True) for r in rows}


def test_the_console_sends_an_admin_through_the_login_and_back(acme: LiveBridge) -> None:
    page = page_of(signed_in(acme, "ada"))
    assert page.url.endswith("/admin/orgs/acme")
    assert page.title == "Acme: security"


def test_enforcing_2fa_in_the_console_updates_the_status_column_and_progress(
    acme: LiveBridge,
) -> None:
    browser = signed_in(acme, "ada")
    before = page_of(browser)
    assert before.soup.select_one("#members td.status") is None  # nothing to say yet (seed 000)
    assert before.soup.select_one("#no-status-column") is not None
    browser.submit(mfa_enforced="on")
    page = page_of(browser)
    assert page.soup.select_one("#notice").get_text(strip=True) == "The policy was saved."
    assert status_column(page) == {
        "ada": "Setup required",
        "bob": "Setup required",
        "carol": "Setup required",
    }
    bar = page.soup.select_one("#mfa-progress")
    assert (bar["value"], bar["max"]) == ("0", "3")
    assert acme.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is True


def test_a_refusal_in_the_console_says_why_and_changes_nothing(acme: LiveBridge) -> None:
    acme.services.provider_admin.add(
        OPERATOR,
        "acme",
        {"alias": "okta", "issuer": "https://acme.okta.example", "client_id": "bridge"},
    )
    acme.services.orgs.update_policy(
        OPERATOR, "acme", {"sso_enabled": True, "sso_idp_alias": "okta"}
    )
    browser = signed_in(acme, "ada")
    browser.submit(mfa_enforced="on")
    page = page_of(browser)
    assert page.status == 409
    assert "2FA cannot be enforced while single sign-on is on" in page.errors[0]
    assert acme.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is False


def test_a_member_who_is_no_admin_is_refused(acme: LiveBridge) -> None:
    page = page_of(signed_in(acme, "bob"))
    assert page.status == 403
    assert page.title == "Only an admin of this organisation (or of its partner) may do this"
    assert page.errors == ["You are not an admin of 'Acme'."]  # its name, not its slug


def test_an_organisation_that_does_not_exist_is_named_as_asked(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/nope")
    assert isinstance(page, Page) and page.status == 404
    assert page.errors == ["There is no organisation 'nope'."]


def test_an_admin_resets_a_members_2fa_from_the_member_list(acme: LiveBridge) -> None:
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    acme.services.members.require_mfa(OPERATOR, "acme", "bob")
    browser = signed_in(acme, "ada")
    page = page_of(browser)
    action = page.soup.select_one('tr[data-username="bob"] form')
    assert action is not None
    assert action.get_text(strip=True) == "Make service account"
    response = browser.post_raw(
        f"{acme.url}{action['action']}",
        {"csrf_token": page.form_fields()["csrf_token"]},
    )
    assert response.status_code == 303
    page = browser.open(f"{acme.url}/admin/orgs/acme")
    assert isinstance(page, Page)
    assert status_column(page)["bob"] == "Service account"
    assert acme.audit("converted_to_service_account")[0].details["via"] == "console"


def test_a_console_form_without_its_csrf_token_is_refused(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    response = browser.post_raw(
        f"{acme.url}/admin/orgs/acme/policy", {"section": "mfa", "mfa_enforced": "on"}
    )
    assert response.status_code == 400
    assert acme.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is False


def test_the_audit_page_lists_the_organisations_events(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    browser.submit(mfa_enforced="on")
    page = browser.open(f"{acme.url}/admin/orgs/acme/audit")
    assert isinstance(page, Page)
    assert "org_mfa_enforced" in page.soup.select_one("#audit tbody").get_text()


def test_an_admin_sees_how_a_member_will_sign_in_with_every_condition_value(
    acme: LiveBridge,
) -> None:
    browser = signed_in(acme, "ada")
    link = page_of(browser).soup.select_one('tr[data-username="bob"] a')
    assert link is not None and link.get_text(strip=True) == "how they sign in"
    page = browser.open(acme.url + str(link["href"]))
    assert isinstance(page, Page) and page.title == "How bob signs in"
    plan = page.soup.select_one("#plan")
    assert plan is not None
    assert "mfa_required=false" in plan.get_text()

    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    page = browser.open(acme.url + str(link["href"]))
    assert isinstance(page, Page)
    assert "mfa_required=true" in page.soup.select_one("#plan").get_text()  # type: ignore[union-attr]


def test_the_sign_in_plan_of_someone_outside_the_organisation_is_not_shown(
    acme: LiveBridge,
) -> None:
    acme.add_user("mallory")
    browser = signed_in(acme, "ada")
    page = browser.open(f"{acme.url}/admin/orgs/acme/members/mallory/sign-in")
    assert isinstance(page, Page) and page.status == 404
    assert page.soup.select_one("#plan") is None


def test_the_2fa_status_column_is_hidden_while_no_one_is_asked_for_2fa(acme: LiveBridge) -> None:
    page = page_of(signed_in(acme, "ada"))
    assert page.soup.select_one("#members th:-soup-contains('2FA status')") is None
    assert page.soup.select_one("#members td.status") is None


def test_a_refused_policy_names_the_field_by_its_label_and_the_organisation_by_its_name(
    acme: LiveBridge,
) -> None:
    acme.services.provider_admin.add(
        OPERATOR,
        "acme",
        {"alias": "okta", "issuer": "https://acme.okta.example", "client_id": "bridge"},
    )
    acme.services.orgs.update_policy(
        OPERATOR, "acme", {"sso_enabled": True, "sso_idp_alias": "okta"}
    )
    browser = signed_in(acme, "ada")
    token = page_of(browser).form_fields()["csrf_token"]
    policy = {"csrf_token": token, "section": "policy", "sso_enabled": "on"}
    response = browser.post_raw(
        f"{acme.url}/admin/orgs/acme/policy", {**policy, "trusted_browser_days": "3"}
    )
    text = Page(response.url, response.status_code, response.text).errors[0]
    assert "'Days a browser is trusted' must be a whole number from 7 to 90." in text
    assert "trusted_browser_days" not in text
    mfa = {"csrf_token": token, "section": "mfa", "mfa_enforced": "on"}
    response = browser.post_raw(f"{acme.url}/admin/orgs/acme/policy", mfa)
    text = Page(response.url, response.status_code, response.text).errors[0]
    assert "'Acme' uses single sign-on" in text and "'acme'" not in text


def test_turning_2fa_off_with_wipe_asks_first_and_says_what_it_deletes(acme: LiveBridge) -> None:
    browser = signed_in(acme, "ada")
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    browser.open(f"{acme.url}/admin/orgs/acme")
    asked = browser.submit(on_disable="wipe")  # the switch unticked: turning 2FA off
    assert isinstance(asked, Page) and asked.status == 200
    assert asked.title.startswith("Turn 2FA off and delete every member's 2FA?")
    assert "trusted browsers of every member are deleted" in asked.html
    assert acme.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is True
    done = browser.submit()
    assert isinstance(done, Page)
    assert done.soup.select_one("#notice").get_text(strip=True) == "The policy was saved."  # type: ignore[union-attr]
    assert acme.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is False
