"""Service accounts as seed 000 means them: no 2FA and no way to turn it on; they sign in only
with app passwords or as API clients; a conversion says what happens to their factors."""

from __future__ import annotations

import pytest

from bridge.domain.errors import ServiceAccountWithoutMfa
from bridge.services.app_password_values import Origin
from tests.admin_api import Api, assert_problem
from tests.bridges import Invoke
from tests.e2e.factor_life import OPERATOR
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page
from tests.world import World


def test_a_service_account_cannot_enrol_an_authenticator(acme: World) -> None:
    robot = acme.row("robot")
    with pytest.raises(ServiceAccountWithoutMfa) as refused:
        acme.services.totp.start_enrolment(robot.id, "robot")
    assert "never use two-factor authentication" in refused.value.message
    assert not acme.has_totp("robot")


def test_an_admin_cannot_require_2fa_of_a_service_account(api: Api, acme: World) -> None:
    response = api.post("/orgs/acme/members/robot/actions/require-mfa", "ada", {})
    problem = assert_problem(response, 409, "service-account-without-mfa")
    assert "app passwords" in problem["detail"]
    lifted = api.post("/orgs/acme/members/robot/actions/require-mfa", "ada", {"required": False})
    assert lifted.status_code == 200


def test_converting_deletes_the_factors_and_keeps_the_app_passwords(acme: World) -> None:
    acme.enrol("bob")
    bob = acme.row("bob")
    kept = acme.services.app_passwords.create_own(bob.id, "Sync", None, Origin(bob.id))
    acme.services.members.to_service_account(OPERATOR, "acme", "bob")
    assert not acme.has_totp("bob")
    assert acme.services.app_passwords.match(bob.id, kept.secret, "proxy") is not None
    [event] = [
        e
        for e in acme.services.audit.events(event="converted_to_service_account")
        if e.user_id == bob.id
    ]
    assert event.details["removed"]["totp"] == 1


def test_the_cli_says_what_a_conversion_does_to_the_factors(bridge_cli: Invoke) -> None:
    bridge_cli("user", "add", "robot", "--email", "r@example.com", "--password-stdin",
               stdin="a long passphrase\n")  # fmt: skip
    bridge_cli("org", "create", "acme", "--name", "Acme")
    bridge_cli("member", "add", "acme", "robot")
    to = bridge_cli("member", "to-service-account", "acme", "robot")
    assert "authenticator, recovery codes and trusted browsers were deleted" in to.output
    back = bridge_cli("member", "from-service-account", "acme", "robot")
    assert "2FA rules apply from its next login" in back.output


def test_a_service_accounts_password_does_not_sign_in_to_a_browser_page(
    live: LiveBridge, browser: Browser
) -> None:
    robot = live.add_user("robot")
    live.services.orgs.create(OPERATOR, "acme", "Acme", kind="standalone", mode="production")
    live.services.members.add(OPERATOR, "acme", "robot", "member")
    live.services.members.to_service_account(OPERATOR, "acme", "robot")
    browser.open(live.url + "/account")
    page = browser.submit(username="robot", password=PASSWORD)
    assert isinstance(page, Page) and "Incorrect username or password." in page.errors
    [failed] = live.audit("sign_in_failed", robot)
    assert failed.reason == "service_account"


def test_the_account_page_refuses_2fa_to_a_service_account_and_says_why(
    live: LiveBridge, browser: Browser
) -> None:
    live.add_user("bob")
    live.services.orgs.create(OPERATOR, "acme", "Acme", kind="standalone", mode="production")
    live.services.members.add(OPERATOR, "acme", "bob", "member")
    browser.open(live.url + "/account")
    page = browser.submit(username="bob", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Your account"
    live.services.members.to_service_account(OPERATOR, "acme", "bob")  # while signed in
    page = browser.open(live.url + "/account")
    assert isinstance(page, Page) and page.soup.find(id="enable-2fa") is None
    assert "never use two-factor" in page.soup.find(id="service-account").get_text()  # type: ignore[union-attr]
    refused = browser.http.get(live.url + "/account/enable", allow_redirects=False)
    assert refused.status_code == 409 and "never use two-factor" in refused.text
