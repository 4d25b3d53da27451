"""``bridge api-client``: an organisation's API clients, under the admin API's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from tests.bridges import Invoke


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    for name in ("ada", "gus"):
        bridge_cli(
            "user", "add", name, "--email", f"{name}@example.com", "--password-stdin",
            stdin="a long passphrase\n",
        )  # fmt: skip
    for slug, admin in (("acme", "ada"), ("globex", "gus")):
        bridge_cli("org", "create", slug, "--name", slug.title())
        bridge_cli("member", "add", slug, admin, "--role", "admin")
    return bridge_cli


def test_create_list_rotate_and_remove(run: Invoke) -> None:
    created = run("api-client", "create", "acme", "--name", "Sync", "--scope", "a", "--scope", "b")
    assert created.exit_code == 0, created.output
    new = json.loads(created.output)
    assert new["secret"] and new["scopes"] == ["a", "b"]
    listed = run("api-client", "list", "acme")
    assert listed.output.splitlines() == [f"{new['client_id']}\tclient_secret\ta b\tSync"]
    assert new["secret"] not in listed.output
    rotated = run("api-client", "rotate", "acme", new["client_id"])
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output)["secret"] not in (None, new["secret"])
    removed = run("api-client", "remove", "acme", new["client_id"])
    assert removed.output.strip() == f"removed API client {new['client_id']} (Sync)"
    assert run("api-client", "list", "acme").output == ""


def test_an_admin_acts_for_their_own_organisation_only(run: Invoke) -> None:
    created = run("api-client", "create", "acme", "--name", "Sync", "--scope", "a", "--as", "ada")
    assert created.exit_code == 0, created.output
    client_id = json.loads(created.output)["client_id"]
    refused = run("api-client", "list", "acme", "--as", "gus")
    assert refused.exit_code == 1
    assert "not an admin of 'acme'" in refused.output
    elsewhere = run("api-client", "remove", "globex", client_id, "--as", "gus")
    assert elsewhere.exit_code == 1
    assert "There is no API client" in elsewhere.output


def test_a_client_with_keys_from_a_file_has_no_secret(run: Invoke, tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [RSAKey.generate_key(2048).as_dict(private=False)]}))
    created = run(
        "api-client", "create", "acme", "--name", "Signer", "--scope", "a",
        "--jwks-file", str(jwks),
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["auth_method"] == "private_key_jwt"
    client_id = json.loads(created.output)["client_id"]
    refused = run("api-client", "rotate", "acme", client_id)
    assert refused.exit_code == 1 and "no secret to rotate" in refused.output


def test_a_reserved_scope_is_refused_with_the_reason(run: Invoke) -> None:
    refused = run("api-client", "create", "acme", "--name", "Sync", "--scope", "openid")
    assert refused.exit_code == 1
    assert "cannot be granted" in refused.output
