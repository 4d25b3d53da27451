"""An admin in a real Chromium turns 2FA enforcement on, reads the progress bar, approves a
lost-device request and adds a single sign-on provider."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Page

from bridge.services.orgs import Actor
from tests.e2e.harness import PASSWORD, LiveBridge

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()


def test_an_admin_toggles_enforcement_and_reads_the_progress_bar(
    live: LiveBridge, page: Page
) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)

    page.goto(f"{live.url}/admin/orgs/acme")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Acme: security").wait_for()

    switch = page.get_by_label("Require two-factor authentication for every member")
    assert not switch.is_checked()
    switch.check()
    page.locator("#mfa-form").get_by_role("button", name="Save").click()
    page.get_by_text("The policy was saved.").wait_for()

    assert page.get_by_label("Require two-factor authentication for every member").is_checked()
    bar = page.locator("#mfa-progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("0", "2")
    assert page.locator("#mfa-progress-text").inner_text() == (
        "0 of 2 members who need 2FA have set it up"
    )
    assert page.locator('tr[data-username="bob"] td.status').inner_text() == "Setup required"

    switch = page.get_by_label("Require two-factor authentication for every member")
    switch.uncheck()
    page.locator("#mfa-form").get_by_role("button", name="Save").click()
    page.get_by_text("The policy was saved.").wait_for()
    assert s.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is False
    bar = page.locator("#mfa-progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("0", "0")


def test_an_admin_approves_a_lost_device_request_with_one_click(
    live: LiveBridge, page: Page
) -> None:
    s = live.services
    org = s.orgs.create(OPERATOR, "acme", "Acme")
    for name, role in (("ada", "admin"), ("bob", "member")):
        live.add_user(name)
        s.members.add(OPERATOR, "acme", name, role)
    bob = s.users.find("bob")
    assert bob is not None
    offer = s.totp.start_enrolment(bob.id, "bob")
    code = pyotp.TOTP(offer.secret).at(live.clock())
    assert s.totp.confirm_enrolment(bob.id, offer.credential_id, code)
    request = s.reset_requests.request(bob.id, org.id, message="My phone was stolen")

    page.goto(f"{live.url}/admin/orgs/acme")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    row = page.locator(f'tr[data-request-id="{request.id}"]')
    assert "My phone was stolen" in row.inner_text()
    row.get_by_role("button", name="Approve").click()

    page.get_by_text("The request was approved").wait_for()
    assert page.locator("#no-reset-requests").inner_text() == "No member is waiting for a reset."
    assert not s.totp.has_totp(bob.id)


def test_an_admin_adds_a_single_sign_on_provider_through_the_form(
    live: LiveBridge, page: Page
) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "acme", "Acme")
    s.orgs.add_domain(OPERATOR, "acme", "acme.example")
    live.add_user("ada")
    s.members.add(OPERATOR, "acme", "ada", "admin")

    page.goto(f"{live.url}/admin/orgs/acme")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="single sign-on providers").click()
    page.get_by_label("Alias").fill("acme-okta")
    page.get_by_label("Display name").fill("Acme Okta")
    page.get_by_label("Issuer").fill("https://acme-okta.idp.example")
    page.get_by_label("Client id").fill("the-bridge")
    page.get_by_label("Client secret").fill("a-secret-never-shown")
    page.get_by_label("acme.example (verified)").check()
    page.get_by_role("button", name="Add provider").click()

    page.get_by_text("The provider was added.").wait_for()
    assert "Acme Okta" in page.locator('tr[data-alias="acme-okta"]').inner_text()
    assert "a-secret-never-shown" not in page.content()
    found = s.home_realm.provider_for("x@acme.example")
    assert found is not None and found.alias == "acme-okta"
