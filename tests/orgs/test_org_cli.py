"""``bridge org`` and ``bridge member``: the operator's commands over the same rules."""

from __future__ import annotations

import json

import pytest

from tests.bridges import Invoke


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    invoke = bridge_cli
    for name in ("ada", "bob"):
        invoke(
            "user",
            "add",
            name,
            "--email",
            f"{name}@example.com",
            "--password-stdin",
            stdin="a long passphrase\n",
        )
    assert invoke("org", "create", "acme", "--name", "Acme").exit_code == 0
    invoke("member", "add", "acme", "ada", "--role", "admin")
    invoke("member", "add", "acme", "bob")
    return invoke


def test_an_operator_enforces_2fa_and_sees_who_must_set_it_up(run: Invoke) -> None:
    changed = run("org", "policy", "acme", "--enforce-mfa")
    assert changed.exit_code == 0, changed.output
    assert "mfa_enforced: False -> True" in changed.output
    listed = run("member", "list", "acme")
    assert "ada\tadmin\tsetup_required" in listed.output
    assert "bob\tmember\tsetup_required" in listed.output
    assert "2FA configured: 0/2" in listed.output


def test_the_cli_refuses_what_the_api_refuses_and_says_why(run: Invoke) -> None:
    added = run(
        "idp", "add", "--org", "acme", "--alias", "acme-okta", "--public",
        "--issuer", "https://acme.okta.example", "--client-id", "bridge",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert run("org", "policy", "acme", "--sso", "--sso-idp", "acme-okta").exit_code == 0
    refused = run("org", "policy", "acme", "--enforce-mfa")
    assert refused.exit_code == 1
    assert "2FA cannot be enforced while single sign-on is on" in refused.output
    shown = json.loads(run("org", "show", "acme").output)
    assert shown["policy"]["mfa_enforced"] is False


def test_a_bad_value_is_refused_with_the_allowed_range(run: Invoke) -> None:
    refused = run("org", "policy", "acme", "--trusted-browser-days", "3")
    assert refused.exit_code == 1
    assert "'trusted_browser_days' must be a whole number from 7 to 90" in refused.output


def test_wiping_everyones_2fa_from_the_cli_needs_yes(run: Invoke) -> None:
    run("org", "policy", "acme", "--enforce-mfa", "--on-disable", "wipe")
    refused = run("org", "policy", "acme", "--no-enforce-mfa")
    assert refused.exit_code == 1
    assert "add --yes" in refused.output
    assert run("org", "policy", "acme", "--no-enforce-mfa", "--yes").exit_code == 0


def test_acting_as_a_member_who_is_no_admin_is_refused(run: Invoke) -> None:
    refused = run("member", "reset-mfa", "acme", "ada", "--as", "bob")
    assert refused.exit_code == 1
    assert "Only an admin of this organisation" in refused.output


def test_member_actions_from_the_cli(run: Invoke) -> None:
    assert "now setup_required" in run("member", "require-mfa", "acme", "bob").output
    assert "now not_required" in run("member", "require-mfa", "acme", "bob", "--lift").output
    assert "now service_account" in run("member", "to-service-account", "acme", "bob").output
    assert "now not_required" in run("member", "from-service-account", "acme", "bob").output
    assert run("member", "unlock", "acme", "bob").exit_code == 0
    assert run("org", "verify-domain", "acme", "example.com").exit_code == 0  # bob's (seed 002)
    assert run("member", "reset-mfa", "acme", "bob", "--as", "ada").exit_code == 0
    audit = [json.loads(line) for line in run("org", "audit", "acme").output.splitlines()]
    assert audit[0]["event"] == "mfa_reset_by_admin"
    assert audit[0]["details"]["via"] == "cli"


def test_partners_customers_domains_and_clients(run: Invoke) -> None:
    assert (
        run(
            "org", "create", "parts", "--name", "P", "--kind", "partner", "--mode", "trial"
        ).exit_code
        == 0
    )
    assert (
        run(
            "org", "create", "cust", "--name", "C", "--kind", "customer", "--parent", "parts"
        ).exit_code
        == 0
    )
    assert "2fa-optional" in run("org", "list").output.splitlines()[2]
    run("org", "mode", "parts", "production")
    assert "parts\tpartner\tproduction\t2fa-enforced" in run("org", "list").output
    assert run("org", "verify-domain", "acme", "Example.COM").exit_code == 0
    assert json.loads(run("org", "show", "acme").output)["domains"] == ["example.com"]
    client = json.loads(
        run(
            "client", "add", "--name", "App", "--redirect-uri", "https://app.example/cb", "--json"
        ).output
    )
    assert run("org", "add-client", "acme", client["client_id"]).exit_code == 0
    assert run("org", "allow-admin-scope", client["client_id"]).exit_code == 0
    missing = run("org", "add-client", "acme", "nope")
    assert missing.exit_code == 1
    assert "There is no client 'nope'" in missing.output
