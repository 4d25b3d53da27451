"""Identity providers in the configuration: what loads, what is refused, and the lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.errors import SettingsError
from bridge.config.loading import load_settings
from bridge.federation import IdentityProviders, callback_path

ACME = """
identity_providers:
  - alias: acme
    issuer: https://login.acme.example/
    client_id: the-bridge
    client_secret_env: BRIDGE_IDP_ACME_CLIENT_SECRET
    organisation: acme
    domains: [Acme.Example, acme-group.example]
  - alias: google
    display_name: Google
    issuer: https://accounts.google.com
    client_id: google-client
    client_secret_file: {secret_file}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_providers(tmp_path: Path, environ: dict[str, str]) -> IdentityProviders:
    secret = tmp_path / "google-secret"
    secret.write_text("google-secret-value\n", encoding="utf-8")
    settings = load_settings(write(tmp_path, ACME.format(secret_file=secret)), environ)
    return IdentityProviders.from_settings(settings.identity_providers, environ)


def test_providers_load_with_secrets_from_the_environment_and_from_files(tmp_path: Path) -> None:
    environ = {"BRIDGE_IDP_ACME_CLIENT_SECRET": "acme-secret-value"}
    providers = load_providers(tmp_path, environ)

    acme, google = providers.get("acme"), providers.get("google")
    assert acme is not None and google is not None
    assert acme.client_secret == "acme-secret-value"
    assert google.client_secret == "google-secret-value"
    assert "secret-value" not in repr(acme) + repr(google)
    assert acme.issuer == "https://login.acme.example/", "kept exactly: iss is compared exactly"
    assert acme.algorithms == ("RS256", "ES256")
    assert acme.scopes == ("openid", "email", "profile")
    assert acme.max_clock_skew == 120
    assert (acme.display_name, google.display_name) == ("acme", "Google")


def test_home_realm_discovery_finds_the_provider_of_an_email_domain(tmp_path: Path) -> None:
    providers = load_providers(tmp_path, {"BRIDGE_IDP_ACME_CLIENT_SECRET": "s"})

    acme = providers.get("acme")
    assert providers.for_email("Jane@ACME.example") is acme
    assert providers.for_email("jane@acme-group.example") is acme
    assert providers.for_email("jane@example.com") is None
    assert providers.for_email("jane") is None
    assert [p.alias for p in providers.global_providers()] == ["google"]
    assert [p.alias for p in providers.for_organisation("acme")] == ["acme"]


def test_each_provider_has_its_own_callback(tmp_path: Path) -> None:
    providers = load_providers(tmp_path, {"BRIDGE_IDP_ACME_CLIENT_SECRET": "s"})
    acme = providers.get("acme")
    assert acme is not None
    assert callback_path("acme") == "/federation/acme/callback"
    assert acme.redirect_uri("https://bridge.example/") == (
        "https://bridge.example/federation/acme/callback"
    )


def test_a_missing_client_secret_variable_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BRIDGE_IDP_ACME_CLIENT_SECRET is not set"):
        load_providers(tmp_path, {})


def provider_yaml(extra: str) -> str:
    return (
        "identity_providers:\n"
        "  - alias: acme\n"
        "    issuer: https://login.acme.example\n"
        "    client_id: the-bridge\n" + extra
    )


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512"])
def test_unsigned_and_hmac_algorithms_are_refused_at_load(tmp_path: Path, alg: str) -> None:
    path = write(tmp_path, provider_yaml(f"    algorithms: [RS256, {alg}]\n"))
    with pytest.raises(SettingsError) as refused:
        load_settings(path, {})
    assert f"{path}:" in str(refused.value)
    assert f"identity_providers.0.algorithms: '{alg}' is refused" in str(refused.value)


def test_a_client_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, provider_yaml("    client_secret: hunter2\n"))
    with pytest.raises(SettingsError, match="secrets are not read from the configuration file"):
        load_settings(path, {})


def test_aliases_and_domains_belong_to_one_provider(tmp_path: Path) -> None:
    twice = provider_yaml("    domains: [acme.example]\n") + (
        "  - alias: acme\n"
        "    issuer: https://other.example\n"
        "    client_id: x\n"
        "    domains: [acme.example]\n"
    )
    with pytest.raises(SettingsError, match="aliases must be unique"):
        load_settings(write(tmp_path, twice), {})
    renamed = twice.replace(
        "  - alias: acme\n    issuer: https://other", "  - alias: b\n    issuer: https://other"
    )
    with pytest.raises(SettingsError, match="an e-mail domain may belong to one provider only"):
        load_settings(write(tmp_path, renamed), {})


def test_a_plain_http_issuer_is_refused_unless_loopback(tmp_path: Path) -> None:
    text = provider_yaml("").replace("https://login.acme.example", "http://login.acme.example")
    with pytest.raises(SettingsError, match="must use https://"):
        load_settings(write(tmp_path, text), {})


def test_client_secret_variables_are_not_mistaken_for_settings() -> None:
    load_settings(None, {"BRIDGE_IDP_ACME_CLIENT_SECRET": "s"})  # no "not a known setting"
