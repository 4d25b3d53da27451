"""The console and the CLI under ``admin_reset_requires_verified_domain`` (seed 002)."""

from __future__ import annotations

import json

from tests.admin.test_console import acme, signed_in  # noqa: F401  (the console's acme)
from tests.bridges import Invoke
from tests.e2e.harness import LiveBridge, Page
from tests.world import OPERATOR, World


def post_reset(live: LiveBridge, admin: str) -> Page:
    browser = signed_in(live, admin)
    page = browser.page
    assert page is not None
    response = browser.post_raw(
        f"{live.url}/admin/orgs/acme/members/bob/reset-mfa",
        {"csrf_token": page.form_fields()["csrf_token"]},
    )
    return Page(response.url, response.status_code, response.text)


def test_the_console_shows_why_a_reset_is_refused(acme: LiveBridge) -> None:  # noqa: F811
    World(acme.services, acme.clock).enrol("bob")
    page = post_reset(acme, "ada")
    assert page.status == 403
    errors = page.soup.select_one("#form-errors")
    assert errors is not None
    assert "may reset 2FA only for members of its verified domains" in errors.get_text()
    assert World(acme.services, acme.clock).has_totp("bob")


def test_the_console_policy_form_turns_the_rule_off(acme: LiveBridge) -> None:  # noqa: F811
    browser = signed_in(acme, "ada")
    page = browser.page
    assert page is not None
    box = page.soup.select_one("#admin_reset_requires_verified_domain")
    assert box is not None and box.has_attr("checked")
    form = page.soup.select_one("#policy-form")
    assert form is not None
    data = {
        str(i["name"]): str(i.get("value", "on"))  # a ticked box without a value sends "on"
        for i in form.select("input")
        if i.get("type") != "checkbox" or i.has_attr("checked")
    }
    data.pop("admin_reset_requires_verified_domain")
    data["lockout_action"] = "lock"
    response = browser.post_raw(f"{acme.url}{form['action']}", data)
    assert response.status_code == 303
    policy = acme.services.orgs.policy(OPERATOR, "acme")
    assert policy["admin_reset_requires_verified_domain"] is False
    assert policy["trusted_browsers_enabled"] is True  # the rest of the form as it was


def test_the_cli_refuses_with_the_reason_and_the_policy_can_be_turned_off(
    bridge_cli: Invoke,
) -> None:
    for name in ("ada", "bob"):
        bridge_cli(
            "user", "add", name, "--email", f"{name}@example.com", "--password-stdin",
            stdin="a long passphrase\n",
        )  # fmt: skip
    bridge_cli("org", "create", "acme", "--name", "Acme")
    bridge_cli("member", "add", "acme", "ada", "--role", "admin")
    bridge_cli("member", "add", "acme", "bob")
    refused = bridge_cli("member", "reset-mfa", "acme", "bob", "--as", "ada")
    assert refused.exit_code == 1
    assert "admin_reset_requires_verified_domain" in refused.output
    changed = bridge_cli("org", "policy", "acme", "--no-admin-reset-requires-verified-domain")
    assert "admin_reset_requires_verified_domain: True -> False" in changed.output
    shown = json.loads(bridge_cli("org", "show", "acme").output)
    assert shown["policy"]["admin_reset_requires_verified_domain"] is False
    assert bridge_cli("member", "reset-mfa", "acme", "bob", "--as", "ada").exit_code == 0
