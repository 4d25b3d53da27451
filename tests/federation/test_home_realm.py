"""Home-realm discovery: an e-mail domain goes to its provider, from the configuration or from
an organisation's single sign-on policy, but only for a domain that organisation verified."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bridge.federation import HomeRealm, IdentityProviders
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.db.models import Organisation
from tests.federation.conftest import provider_config

OPERATOR = Actor.operator()


@pytest.fixture(autouse=True)
def organisations(services: Services) -> None:
    for slug in ("acme", "globex"):
        services.orgs.create(OPERATOR, slug, slug.title())


@pytest.fixture
def home_realm(services: Services) -> HomeRealm:
    providers = IdentityProviders(
        [
            provider_config(alias="acme-config", domains=["acme.example"]),
            provider_config(alias="globex-idp", organisation="globex", domains=[]),
            provider_config(alias="social", organisation=None, domains=[]),
        ]
    )
    return HomeRealm(providers, services.db)


def single_sign_on(services: Services, slug: str, alias: str, domain: str) -> None:
    """Write the policy to the row itself: the org service now refuses an unverified domain or
    a provider that does not serve the organisation (tests/federation/test_provider_registry.py),
    and home-realm discovery must not route such a policy either, should a row hold one."""
    with services.db.session() as session:
        session.execute(
            update(Organisation)
            .where(Organisation.slug == slug)
            .values(sso_enabled=True, sso_idp_alias=alias, sso_domains=[domain])
        )


def test_a_configured_domain_goes_to_its_provider(home_realm: HomeRealm) -> None:
    provider = home_realm.provider_for("Jane@ACME.example")
    assert provider is not None and provider.alias == "acme-config"


def test_an_address_of_no_provider_or_a_plain_username_stays_at_the_bridge(
    home_realm: HomeRealm,
) -> None:
    assert home_realm.provider_for("jane@example.com") is None
    assert home_realm.provider_for("jane") is None


def test_an_organisations_sso_policy_routes_its_verified_domain(
    home_realm: HomeRealm, services: Services
) -> None:
    services.orgs.add_domain(OPERATOR, "globex", "globex.example")
    single_sign_on(services, "globex", "globex-idp", "globex.example")

    provider = home_realm.provider_for("hank@globex.example")
    assert provider is not None and provider.alias == "globex-idp"


def test_a_domain_the_organisation_has_not_verified_is_not_routed(
    home_realm: HomeRealm, services: Services
) -> None:
    single_sign_on(services, "globex", "globex-idp", "gmail.example")
    assert home_realm.provider_for("someone@gmail.example") is None


def test_a_provider_serving_another_organisation_is_not_routed_to(
    home_realm: HomeRealm, services: Services
) -> None:
    services.orgs.add_domain(OPERATOR, "acme", "acme-group.example")
    single_sign_on(services, "acme", "globex-idp", "acme-group.example")
    assert home_realm.provider_for("jane@acme-group.example") is None


def test_a_policy_with_sso_turned_off_or_an_unknown_provider_routes_nothing(
    home_realm: HomeRealm, services: Services
) -> None:
    services.orgs.add_domain(OPERATOR, "globex", "globex.example")
    single_sign_on(services, "globex", "no-such-idp", "globex.example")
    assert home_realm.provider_for("hank@globex.example") is None

    single_sign_on(services, "globex", "globex-idp", "globex.example")
    services.orgs.update_policy(OPERATOR, "globex", {"sso_enabled": False})
    assert home_realm.provider_for("hank@globex.example") is None
