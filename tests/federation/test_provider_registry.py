"""One lookup for both sources: configured providers first, then the ones added through the
admin API, read from the database on every lookup (so every bridge process sees a change at
once); home-realm discovery and the SSO policy use them; a clash of aliases stops the start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import select

from bridge.app import create_app
from bridge.config.errors import SettingsError
from bridge.domain.clock import FrozenClock
from bridge.federation.errors import ProviderMisconfigured
from bridge.federation.metadata import MetadataCache
from bridge.federation.registry import open_secret
from bridge.services.container import Services
from bridge.services.orgs.errors import InvalidInput
from bridge.services.reseal import reseal
from bridge.storage.crypto import generate_key_spec, parse_keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import IdentityProviderRecord
from tests.admin_api import Api
from tests.federation.conftest import provider_config
from tests.federation.stored_providers import (
    CONFIGURED,
    OPERATOR,
    SECRET,
    build,
    new_secrets,
    provider_body,
)


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    return {"identity_providers": CONFIGURED}


@pytest.fixture(autouse=True)
def organisations(services: Services) -> None:
    """acme (verified acme.example and acme-sso.example) and globex."""
    for slug in ("acme", "globex"):
        services.orgs.create(OPERATOR, slug, slug.title())
    services.orgs.add_domain(OPERATOR, "acme", "acme.example")
    services.orgs.add_domain(OPERATOR, "acme", "acme-sso.example")


def add(services: Services, alias: str = "acme-okta", slug: str = "acme", **fields: object) -> None:
    services.provider_admin.add(OPERATOR, slug, provider_body(alias, **fields))


# --- the lookup -----------------------------------------------------------------------------


def test_the_lookup_holds_both_sources_configuration_first(services: Services) -> None:
    add(services, domains=["acme.example"])
    providers = services.identity_providers
    assert [p.alias for p in providers] == ["acme-config", "google", "acme-okta"]
    assert len(providers) == 3
    assert [(p.alias, p.source) for p in providers.for_organisation("acme")] == [
        ("acme-config", "config"),
        ("acme-okta", "database"),
    ]
    assert [p.alias for p in providers.global_providers()] == ["google"]
    by_domain = providers.for_email("Jane@ACME.example")
    assert by_domain is not None and by_domain.alias == "acme-okta"
    stored = providers.get("acme-okta")
    assert stored is not None and stored.client_secret == SECRET and stored.org_id is not None


def test_a_url_alias_or_an_e_mail_domain_with_a_nul_finds_nothing(services: Services) -> None:
    """PostgreSQL refuses a NUL in a query: the lookup answers None instead of failing."""
    assert services.identity_providers.get("acme\x00okta") is None
    assert services.identity_providers.for_email("jane@acme\x00.example") is None


def test_a_provider_added_through_one_bridge_is_used_by_another_at_once(
    database: Database, tmp_path: Path, clock: FrozenClock, services: Services
) -> None:
    """Two processes on one database (with one keyring, as the operator deploys them)."""
    secrets = new_secrets()
    first = build(database, tmp_path, clock, secrets=secrets)
    second = build(database, tmp_path, clock, secrets=secrets)
    try:
        record, _ = first.clients.add("Admin", ["http://127.0.0.1:9/callback"])
        first.orgs.allow_admin_scope(OPERATOR, record.id)
        first.users.create("ada", email="ada@acme.example", password="a long passphrase")
        first.members.add(OPERATOR, "acme", "ada", "admin")
        api = Api(create_app(services=first).test_client(), first, record.id)
        create_app(services=second)  # the second process has started before the provider
        assert second.identity_providers.get("acme-okta") is None

        response = api.post(
            "/orgs/acme/identity-providers", "ada", provider_body(domains=["acme.example"])
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        found = second.identity_providers.get("acme-okta")
        assert found is not None and found.client_secret == SECRET
        routed = second.home_realm.provider_for("jane@acme.example")
        assert routed is not None and routed.alias == "acme-okta"

        api.call("DELETE", "/orgs/acme/identity-providers/acme-okta", "ada")
        assert second.identity_providers.get("acme-okta") is None
        assert second.home_realm.provider_for("jane@acme.example") is None
    finally:
        first.close()
        second.close()


# --- home-realm discovery -------------------------------------------------------------------


def test_home_realm_sends_a_providers_domain_to_the_api_provider(services: Services) -> None:
    add(services, domains=["acme.example"])
    provider = services.home_realm.provider_for("jane@acme.example")
    assert provider is not None and provider.alias == "acme-okta"
    assert provider.source == "database"


def test_home_realm_follows_an_sso_policy_naming_an_api_provider(services: Services) -> None:
    add(services)
    services.orgs.update_policy(
        OPERATOR,
        "acme",
        {"sso_enabled": True, "sso_idp_alias": "acme-okta", "sso_domains": ["acme-sso.example"]},
    )
    provider = services.home_realm.provider_for("jane@acme-sso.example")
    assert provider is not None and provider.alias == "acme-okta"


def test_a_configured_domain_still_goes_to_its_configured_provider(services: Services) -> None:
    add(services, domains=["acme.example"])
    configured = services.home_realm.provider_for("x@config.acme.example")
    assert configured is not None and configured.alias == "acme-config"


# --- the SSO policy -------------------------------------------------------------------------


def sso(services: Services, alias: str, domains: list[str] | None = None) -> None:
    changes: dict[str, object] = {"sso_enabled": True, "sso_idp_alias": alias}
    if domains is not None:
        changes["sso_domains"] = domains
    services.orgs.update_policy(OPERATOR, "acme", changes)


@pytest.mark.parametrize(
    "alias",
    ["no-such-idp", "google", "globex-idp"],
    ids=["unknown", "a global provider", "another organisation's provider"],
)
def test_sso_needs_a_provider_that_serves_the_organisation(services: Services, alias: str) -> None:
    add(services, "globex-idp", slug="globex")
    before = services.orgs.policy(OPERATOR, "acme")
    with pytest.raises(InvalidInput) as refused:
        sso(services, alias)
    assert refused.value.extra["field"] == "sso_idp_alias"
    assert f"no identity provider {alias!r} serving 'acme'" in refused.value.detail
    assert services.orgs.policy(OPERATOR, "acme") == before


@pytest.mark.parametrize("alias", ["acme-config", "acme-okta"])
def test_sso_accepts_a_configured_or_api_provider_of_the_organisation(
    services: Services, alias: str
) -> None:
    add(services)
    sso(services, alias)
    assert services.orgs.policy(OPERATOR, "acme")["sso_idp_alias"] == alias


def test_changing_the_provider_while_sso_is_on_is_checked(services: Services) -> None:
    add(services)
    sso(services, "acme-okta")
    with pytest.raises(InvalidInput) as refused:
        services.orgs.update_policy(OPERATOR, "acme", {"sso_idp_alias": "google"})
    assert refused.value.extra["field"] == "sso_idp_alias"
    assert services.orgs.policy(OPERATOR, "acme")["sso_idp_alias"] == "acme-okta"


def test_sso_domains_must_be_verified_by_the_organisation(services: Services) -> None:
    add(services)
    before = services.orgs.policy(OPERATOR, "acme")
    with pytest.raises(InvalidInput) as refused:
        sso(services, "acme-okta", ["acme-sso.example", "gmail.example"])
    assert refused.value.extra["field"] == "sso_domains"
    assert "gmail.example not verified by 'acme'" in refused.value.detail
    assert services.orgs.policy(OPERATOR, "acme") == before


# --- start-up and the metadata cache --------------------------------------------------------


def test_an_alias_in_the_configuration_and_the_database_stops_the_start(
    database: Database, tmp_path: Path, clock: FrozenClock, services: Services
) -> None:
    add(services)
    clashing = build(
        database,
        tmp_path,
        clock,
        providers=[{"alias": "acme-okta", "issuer": "https://okta.example", "client_id": "c"}],
    )
    try:
        with pytest.raises(SettingsError) as stopped:
            create_app(services=clashing)
    finally:
        clashing.close()
    message = str(stopped.value)
    assert "'acme-okta' is both in the configuration file and a provider added through" in message
    assert "bridge idp remove acme-okta" in message


def test_a_readded_alias_with_another_issuer_never_gets_the_old_metadata(
    clock: FrozenClock,
) -> None:
    old = provider_config(alias="acme", issuer="https://old.example")
    new = provider_config(alias="acme", issuer="https://new.example")
    cache = MetadataCache(clock)
    with responses.RequestsMock() as mock:
        for provider in (old, new):
            document = {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
            }
            mock.get(
                f"{provider.issuer}/.well-known/openid-configuration", body=json.dumps(document)
            )
        assert cache.discovery(old)["jwks_uri"] == "https://old.example/jwks"
        assert cache.discovery(new)["jwks_uri"] == "https://new.example/jwks"


def test_bridge_keys_reseal_reseals_provider_secrets_so_the_old_key_can_go(
    services: Services,
) -> None:
    add(services)
    new_spec = generate_key_spec("k-new")
    rotated = parse_keyring(f"{new_spec},{services.secrets.encryption_keys}")

    [count] = [c for c in reseal(services.db, rotated) if c.name == "identity_provider_secrets"]

    assert (count.resealed, count.unreadable) == (1, 0)
    with services.db.session() as session:
        record = session.scalars(select(IdentityProviderRecord)).one()
    assert record.client_secret is not None and record.client_secret.startswith("v1.k-new.")
    assert open_secret(parse_keyring(new_spec), record.id, record.client_secret) == SECRET


def test_a_secret_no_key_opens_makes_the_provider_unusable_not_the_bridge_broken(
    database: Database, tmp_path: Path, clock: FrozenClock, services: Services
) -> None:
    """The operator dropped the key the secret was sealed with, without resealing first."""
    add(services, domains=["acme.example"])
    other_keys = build(database, tmp_path, clock, secrets=new_secrets())
    try:
        provider = other_keys.identity_providers.get("acme-okta")
        assert provider is not None and provider.client_secret is None
        assert provider.unusable is not None and "BRIDGE_ENCRYPTION_KEYS" in provider.unusable
        # Home-realm discovery and the admin's view still work ...
        routed = other_keys.home_realm.provider_for("jane@acme.example")
        assert routed is not None and routed.alias == "acme-okta"
        view = other_keys.provider_admin.get(OPERATOR, "acme", "acme-okta").as_json()
        assert view["unusable"] == provider.unusable and view["client_secret_set"]
        # ... and a login through it is a clear refusal, not a traceback.
        with pytest.raises(ProviderMisconfigured) as refused:
            other_keys.federation.begin(provider, redirect_uri="http://127.0.0.1:8000/cb")
        assert refused.value.reason == "provider_misconfigured"
        assert refused.value.message == ProviderMisconfigured.message
    finally:
        other_keys.close()
    usable = services.provider_admin.get(OPERATOR, "acme", "acme-okta").as_json()
    assert usable["unusable"] is None
