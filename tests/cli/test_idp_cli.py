"""``bridge idp``: the operator lists, adds and removes providers under the API's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bridge.config.flows import FlowReloader
from tests.bridges import Invoke

SECRET = "cli-upstream-client-secret"
ADD = ("idp", "add", "--org", "acme", "--alias", "acme-okta")
UPSTREAM = ("--issuer", "https://acme.okta.example", "--client-id", "the-bridge")


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    assert bridge_cli("org", "create", "acme", "--name", "Acme").exit_code == 0
    assert bridge_cli("org", "verify-domain", "acme", "acme.example").exit_code == 0
    return bridge_cli


def test_the_operator_adds_a_provider_with_the_secret_from_stdin(run: Invoke) -> None:
    added = run(*ADD, *UPSTREAM, "--domain", "acme.example", "--client-secret-stdin", stdin=SECRET)
    assert added.exit_code == 0, added.output
    assert "added provider acme-okta for acme (with a client secret)" in added.output
    assert "/federation/acme-okta/callback" in added.output
    assert SECRET not in added.output
    listed = run("idp", "list")
    assert listed.output.splitlines() == [
        "acme-okta\tdatabase\tacme\thttps://acme.okta.example\tacme.example"
    ]


def test_the_secret_can_come_from_a_file(run: Invoke, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    added = run(*ADD, *UPSTREAM, "--client-secret-file", str(secret_file))
    assert added.exit_code == 0, added.output
    assert "(with a client secret)" in added.output


def test_a_secret_source_or_public_must_be_chosen(run: Invoke) -> None:
    refused = run(*ADD, *UPSTREAM)
    assert refused.exit_code == 2
    assert "--client-secret-file FILE or --client-secret-stdin, or --public" in refused.output
    assert run("idp", "list").output == ""


def test_add_refuses_what_the_api_refuses(run: Invoke) -> None:
    refused = run(*ADD, *UPSTREAM, "--public", "--domain", "gmail.example")
    assert refused.exit_code == 1
    assert "gmail.example: not verified by 'acme'" in refused.output
    insecure = run(*ADD, "--issuer", "http://okta.example", "--client-id", "c", "--public")
    assert insecure.exit_code == 1
    assert "'issuer' must use https://" in insecure.output
    assert run("idp", "list").output == ""


def test_the_list_shows_configured_providers_with_their_source(run: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "identity_providers": [
                    {"alias": "google", "issuer": "https://accounts.google.com", "client_id": "g"}
                ]
            }
        )
    )
    assert run("--config", str(config), *ADD, *UPSTREAM, "--public").exit_code == 0
    listed = run("--config", str(config), "idp", "list")
    assert listed.output.splitlines() == [
        "google\tconfig\t(global)\thttps://accounts.google.com\t-",
        "acme-okta\tdatabase\tacme\thttps://acme.okta.example\t-",
    ]


def test_remove_deletes_the_provider_and_says_what_went(run: Invoke) -> None:
    run(*ADD, *UPSTREAM, "--public", "--domain", "acme.example")
    removed = run("idp", "remove", "acme-okta")
    assert removed.exit_code == 0, removed.output
    assert "removed provider acme-okta: 0 account link(s), domains: acme.example" in removed.output
    assert run("idp", "list").output == ""


def test_remove_is_refused_while_the_sso_policy_names_the_provider(run: Invoke) -> None:
    run(*ADD, *UPSTREAM, "--public")
    assert run("org", "policy", "acme", "--sso", "--sso-idp", "acme-okta").exit_code == 0
    refused = run("idp", "remove", "acme-okta")
    assert refused.exit_code == 1
    assert "The single sign-on policy of acme names 'acme-okta'" in refused.output
    assert "acme-okta\tdatabase" in run("idp", "list").output


def test_remove_of_an_unknown_or_configured_provider_says_so(run: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "identity_providers": [
                    {"alias": "google", "issuer": "https://a.example", "client_id": "g"}
                ]
            }
        )
    )
    unknown = run("idp", "remove", "nobody")
    assert unknown.exit_code == 1
    assert "There is no provider 'nobody' added through the admin API." in unknown.output
    configured = run("--config", str(config), "idp", "remove", "google")
    assert configured.exit_code == 1
    assert "(it is in the configuration file: remove it there)" in configured.output


def test_serve_refuses_to_start_when_an_added_alias_is_also_configured(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    monkeypatch.setattr("waitress.serve", lambda *args, **kwargs: served.append(args))
    monkeypatch.setattr(FlowReloader, "install_sighup", lambda self: False)
    assert run(*ADD, *UPSTREAM, "--public").exit_code == 0
    config = tmp_path / "bridge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "identity_providers": [
                    {"alias": "acme-okta", "issuer": UPSTREAM[1], "client_id": "c"}
                ]
            }
        )
    )
    refused = run("--config", str(config), "serve")
    assert refused.exit_code == 1
    assert "configuration error:" in refused.output
    assert "'acme-okta' is both in the configuration file and a provider added" in refused.output
    assert "bridge idp remove acme-okta" in refused.output
    assert served == []
    # The command the message names works while the clash stands, and then the bridge starts.
    assert run("--config", str(config), "idp", "remove", "acme-okta").exit_code == 0
    assert run("--config", str(config), "serve").exit_code == 0
    assert len(served) == 1
