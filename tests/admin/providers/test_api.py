"""Identity providers through the admin API: add, read, change, remove, and every refusal
leaves the database as it was. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bridge.domain.clock import utc_datetime
from bridge.federation.registry import open_secret
from bridge.services.container import Services
from bridge.storage.db.models import FederatedIdentity, IdentityProviderRecord
from tests.admin_api import Api, assert_problem
from tests.federation.stored_providers import (
    CONFIGURED,
    OPERATOR,
    SECRET,
    provider_body,
    snapshot,
)
from tests.world import World

BASE = "/orgs/acme/identity-providers"


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    """The bridge with two configured providers: acme-config (serves acme) and google."""
    return {"identity_providers": CONFIGURED}


def add(api: Api, body: dict[str, Any] | None = None, as_user: str = "ada") -> dict[str, Any]:
    response = api.post(BASE, as_user, body or provider_body(domains=["acme.example"]))
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


def link(services: Services, alias: str, subject: str, username: str) -> None:
    user = services.users.find(username)
    assert user is not None
    now = utc_datetime(services.clock)
    with services.db.session() as session:
        session.add(
            FederatedIdentity(
                id=uuid.uuid4().hex,
                provider=alias,
                subject=subject,
                user_id=user.id,
                created_at=now,
                last_login_at=now,
            )
        )


# --- adding and reading ---------------------------------------------------------------------


def test_an_admin_adds_a_provider_for_a_verified_domain(api: Api, acme: World) -> None:
    created = add(api)
    assert created["alias"] == "acme-okta"
    assert created["source"] == "database"
    assert created["read_only"] is False
    assert created["organisation"] == "acme"
    assert created["issuer"] == "https://acme-okta.idp.example"
    assert created["domains"] == ["acme.example"]
    assert created["client_secret_set"] is True
    assert created["scopes"] == ["openid", "email", "profile"]
    assert created["algorithms"] == ["RS256", "ES256"]
    provider = acme.services.identity_providers.get("acme-okta")
    assert provider is not None and provider.client_secret == SECRET
    assert provider.organisation == "acme" and provider.source == "database"


def test_the_list_shows_the_organisations_configured_providers_read_only(
    api: Api, acme: World
) -> None:
    add(api)
    listed = api.get(BASE, "ada").get_json()["identity_providers"]
    assert [(p["alias"], p["source"], p["read_only"]) for p in listed] == [
        ("acme-config", "config", True),
        ("acme-okta", "database", False),
    ]
    assert "google" not in json.dumps(listed)  # a global provider serves no one organisation


def test_one_provider_is_read_by_its_alias(api: Api, acme: World) -> None:
    add(api)
    body = api.get(f"{BASE}/acme-okta", "ada").get_json()
    assert body["alias"] == "acme-okta" and body["client_id"] == "the-bridge"
    assert api.get(f"{BASE}/acme-config", "ada").get_json()["source"] == "config"


def test_a_provider_without_a_secret_is_a_public_client(api: Api, acme: World) -> None:
    created = add(api, provider_body(client_secret=None))
    assert created["client_secret_set"] is False
    provider = acme.services.identity_providers.get("acme-okta")
    assert provider is not None and provider.client_secret is None


# --- the secret -----------------------------------------------------------------------------


def test_the_client_secret_is_never_in_a_response(api: Api, acme: World) -> None:
    responses = [
        api.post(BASE, "ada", provider_body()),
        api.get(BASE, "ada"),
        api.get(f"{BASE}/acme-okta", "ada"),
        api.patch(f"{BASE}/acme-okta", "ada", {"client_secret": SECRET + "-new"}),
        api.call("DELETE", f"{BASE}/acme-okta", "ada"),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        assert SECRET not in response.get_data(as_text=True)
        assert 'client_secret"' not in response.get_data(as_text=True)


def test_the_client_secret_is_sealed_at_rest_and_opens_with_the_keyring(
    api: Api, acme: World
) -> None:
    add(api)
    with acme.services.db.session() as session:
        record = session.scalars(select(IdentityProviderRecord)).one()
    assert record.client_secret is not None
    assert SECRET not in record.client_secret
    assert record.client_secret.startswith("v1.")
    assert open_secret(acme.services.keyring, record.id, record.client_secret) == SECRET


def test_a_sealed_secret_copied_to_another_provider_does_not_open(api: Api, acme: World) -> None:
    from bridge.storage.crypto import DecryptionError

    add(api)
    with acme.services.db.session() as session:
        record = session.scalars(select(IdentityProviderRecord)).one()
    with pytest.raises(DecryptionError):
        open_secret(acme.services.keyring, uuid.uuid4().hex, record.client_secret)


def test_the_audit_records_each_change_without_the_secret(api: Api, acme: World) -> None:
    add(api)
    api.patch(f"{BASE}/acme-okta", "ada", {"client_secret": "another", "timeout": 20})
    api.call("DELETE", f"{BASE}/acme-okta", "ada")
    ada = acme.row("ada").id
    [added] = acme.services.audit.events(event="identity_provider_added")
    [changed] = acme.services.audit.events(event="identity_provider_changed")
    [removed] = acme.services.audit.events(event="identity_provider_removed")
    for event in (added, changed, removed):
        assert event.actor_id == ada
        assert event.org_id == acme.services.orgs.get(OPERATOR, "acme").id
        assert event.ip == "127.0.0.1"
        assert event.details["org"] == "acme" and event.details["provider"] == "acme-okta"
        assert SECRET not in json.dumps(event.details) and "another" not in json.dumps(
            event.details
        )
    assert added.details["client_secret_set"] is True
    assert changed.details["changed"] == ["client_secret", "timeout"]
    assert removed.details["links_removed"] == 0


# --- changing -------------------------------------------------------------------------------


def test_an_admin_changes_fields_and_the_response_shows_them(api: Api, acme: World) -> None:
    add(api)
    response = api.patch(
        f"{BASE}/acme-okta",
        "ada",
        {"display_name": "Acme Okta", "domains": ["acme.example", "acme-group.example"]},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["display_name"] == "Acme Okta"
    assert body["domains"] == ["acme-group.example", "acme.example"]
    provider = acme.services.identity_providers.for_email("x@acme-group.example")
    assert provider is not None and provider.alias == "acme-okta"


def test_the_issuer_cannot_change(api: Api, acme: World) -> None:
    add(api)
    before = snapshot(acme.services)
    body = assert_problem(
        api.patch(f"{BASE}/acme-okta", "ada", {"issuer": "https://other.idp.example"}),
        409,
        "conflict",
    )
    assert body["field"] == "issuer"
    assert "Add a new provider" in body["detail"]
    assert snapshot(acme.services) == before


def test_the_alias_cannot_change(api: Api, acme: World) -> None:
    add(api)
    before = snapshot(acme.services)
    body = assert_problem(
        api.patch(f"{BASE}/acme-okta", "ada", {"alias": "acme-okta-2"}), 409, "conflict"
    )
    assert body["field"] == "alias"
    assert snapshot(acme.services) == before


def test_a_change_that_breaks_a_rule_changes_nothing(api: Api, acme: World) -> None:
    add(api)
    before = snapshot(acme.services)
    body = assert_problem(
        api.patch(f"{BASE}/acme-okta", "ada", {"timeout": 30, "algorithms": ["HS256"]}),
        422,
        "invalid-input",
    )
    assert body["field"] == "algorithms"
    assert snapshot(acme.services) == before
    assert not acme.services.audit.events(event="identity_provider_changed")


def test_a_configured_provider_cannot_be_changed_or_removed(api: Api, acme: World) -> None:
    for response, what in (
        (api.patch(f"{BASE}/acme-config", "ada", {"timeout": 5}), "changed"),
        (api.call("DELETE", f"{BASE}/acme-config", "ada"), "removed"),
    ):
        body = assert_problem(response, 409, "conflict")
        assert body["field"] == "alias"
        assert f"configuration file; it can only be {what} there" in body["detail"]
    assert acme.services.identity_providers.get("acme-config") is not None
    assert not acme.services.audit.events(event="identity_provider_changed")


# --- removing -------------------------------------------------------------------------------


def test_removing_a_provider_removes_its_domains_and_links_and_says_how_many(
    api: Api, acme: World
) -> None:
    add(api)
    link(acme.services, "acme-okta", "sub-1", "bob")
    link(acme.services, "acme-okta", "sub-2", "ada")
    response = api.call("DELETE", f"{BASE}/acme-okta", "ada")
    assert response.status_code == 200
    assert response.get_json() == {
        "removed": "acme-okta",
        "links_removed": 2,
        "domains_removed": ["acme.example"],
    }
    assert snapshot(acme.services) == {"providers": [], "domains": [], "links": []}
    assert acme.services.identity_providers.get("acme-okta") is None
    assert acme.services.identity_providers.for_email("jane@acme.example") is None


def test_a_provider_named_by_the_sso_policy_is_not_removed(api: Api, acme: World) -> None:
    add(api)
    acme.services.orgs.update_policy(
        OPERATOR, "acme", {"sso_enabled": True, "sso_idp_alias": "acme-okta"}
    )
    before = snapshot(acme.services)
    body = assert_problem(api.call("DELETE", f"{BASE}/acme-okta", "ada"), 409, "conflict")
    assert "single sign-on policy of acme names 'acme-okta'" in body["detail"]
    assert snapshot(acme.services) == before


# --- refusals -------------------------------------------------------------------------------


def test_unknown_fields_are_refused_by_name(api: Api, acme: World) -> None:
    body = assert_problem(
        api.post(BASE, "ada", provider_body(client_secret_env="X", colour="red")),
        422,
        "invalid-input",
    )
    assert body["field"] == "client_secret_env"
    assert "client_secret_env, colour" in body["detail"]
    assert snapshot(acme.services)["providers"] == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"alias": "Not A Slug"}, "alias", "URL slug"),
        ({"issuer": "http://idp.example"}, "issuer", "https://"),
        ({"scopes": ["email"]}, "scopes", "must include openid"),
        ({"scopes": 5}, "scopes", "valid tuple"),
        ({"algorithms": ["none"]}, "algorithms", "never 'none'"),
        ({"algorithms": ["HS256"]}, "algorithms", "never HMAC"),
        ({"domains": ["not a domain"]}, "domains", "is not a domain name"),
        ({"claims": {"subject": "oid", "colour": "x"}}, "claims.colour", "Extra inputs"),
        ({"timeout": 0}, "timeout", "between 1 and 60"),
        ({"client_secret": ""}, "client_secret", "1-1024 printable"),
        ({"client_id": "a\x00b"}, "client_id", "control characters"),
        ({"display_name": "x" * 201}, "display_name", "at most 200"),
    ],
)
def test_an_invalid_field_is_refused_by_name_and_nothing_is_stored(
    api: Api, acme: World, fields: dict[str, Any], field: str, message: str
) -> None:
    body = assert_problem(api.post(BASE, "ada", provider_body(**fields)), 422, "invalid-input")
    assert body["field"] == field
    assert message in body["detail"]
    assert snapshot(acme.services)["providers"] == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_validator_s_refusal_stays_english_and_names_the_key_in_any_language(
    api: Api, acme: World, language: str
) -> None:
    """The console words it in the admin's language; the API's detail is part of the API."""
    response = api.call(
        "POST",
        BASE,
        "ada",
        provider_body(domains=["not a domain"]),
        environ_base={"HTTP_ACCEPT_LANGUAGE": language},
    )
    body = assert_problem(response, 422, "invalid-input")
    assert body["field"] == "domains"
    assert body["detail"] == "'domains' 'not a domain' is not a domain name."


def test_a_domain_the_organisation_has_not_verified_is_refused(api: Api, acme: World) -> None:
    body = assert_problem(
        api.post(BASE, "ada", provider_body(domains=["globex.example"])), 422, "invalid-input"
    )
    assert body["field"] == "domains"
    assert "globex.example: not verified by 'acme'" in body["detail"]
    assert snapshot(acme.services)["providers"] == []


def test_a_domain_of_another_stored_provider_is_refused(api: Api, acme: World) -> None:
    add(api)
    before = snapshot(acme.services)
    body = assert_problem(
        api.post(BASE, "ada", provider_body("acme-azure", domains=["acme.example"])),
        409,
        "conflict",
    )
    assert body["field"] == "domains"
    assert "acme.example already belongs to the provider 'acme-okta'" in body["detail"]
    assert snapshot(acme.services) == before


def test_a_domain_of_a_configured_provider_is_refused(api: Api, acme: World) -> None:
    acme.services.orgs.add_domain(OPERATOR, "acme", "config.acme.example")
    body = assert_problem(
        api.post(BASE, "ada", provider_body(domains=["config.acme.example"])), 409, "conflict"
    )
    assert body["field"] == "domains"
    assert (
        "config.acme.example already belongs to the configured provider 'acme-config'"
        in (body["detail"])
    )
    assert snapshot(acme.services)["providers"] == []


@pytest.mark.parametrize("alias", ["acme-config", "google"])
def test_the_alias_of_a_configured_provider_is_refused(api: Api, acme: World, alias: str) -> None:
    body = assert_problem(api.post(BASE, "ada", provider_body(alias)), 409, "conflict")
    assert body["field"] == "alias"
    assert "configuration" in body["detail"]
    assert snapshot(acme.services)["providers"] == []


def test_the_alias_of_another_organisations_provider_is_refused(api: Api, acme: World) -> None:
    acme.services.provider_admin.add(OPERATOR, "globex", provider_body("shared"))
    before = snapshot(acme.services)
    body = assert_problem(api.post(BASE, "ada", provider_body("shared")), 409, "conflict")
    assert body["detail"] == "The alias 'shared' is taken by another provider."
    assert snapshot(acme.services) == before


def test_an_alias_that_earlier_links_still_name_is_refused(api: Api, acme: World) -> None:
    link(acme.services, "old-idp", "sub-1", "bob")
    before = snapshot(acme.services)
    body = assert_problem(api.post(BASE, "ada", provider_body("old-idp")), 409, "conflict")
    assert "must not inherit them" in body["detail"]
    assert snapshot(acme.services) == before


# --- who may ----------------------------------------------------------------------------------


def test_a_member_who_is_not_an_admin_is_refused(api: Api, acme: World) -> None:
    add(api)
    before = snapshot(acme.services)
    for response in (
        api.get(BASE, "bob"),
        api.post(BASE, "bob", provider_body("bobs-idp")),
        api.patch(f"{BASE}/acme-okta", "bob", {"timeout": 5}),
        api.call("DELETE", f"{BASE}/acme-okta", "bob"),
    ):
        assert_problem(response, 403, "not-an-admin")
    assert snapshot(acme.services) == before


def test_an_admin_of_another_organisation_is_refused(api: Api, acme: World) -> None:
    add(api)
    acme.services.provider_admin.add(OPERATOR, "globex", provider_body("globex-idp"))
    before = snapshot(acme.services)
    assert_problem(api.get(BASE, "gus"), 403, "not-an-admin")
    assert_problem(api.call("DELETE", f"{BASE}/acme-okta", "gus"), 403, "not-an-admin")
    # Through its own organisation's path, another organisation's provider does not exist.
    assert_problem(
        api.call("DELETE", "/orgs/globex/identity-providers/acme-okta", "gus"), 404, "not-found"
    )
    assert_problem(api.get("/orgs/acme/identity-providers/globex-idp", "ada"), 404, "not-found")
    assert snapshot(acme.services) == before


def test_a_partner_admin_adds_a_provider_for_a_customer_and_the_audit_says_so(
    api: Api, world: World
) -> None:
    world.user("pat")
    world.org("parts", kind="partner", mode="trial")
    world.org("cust", kind="customer", parent="parts")
    world.join("parts", "pat", "admin")
    response = api.post("/orgs/cust/identity-providers", "pat", provider_body("cust-idp"))
    assert response.status_code == 201, response.get_data(as_text=True)
    [event] = world.services.audit.events(event="identity_provider_added")
    assert event.details["impersonation"]["partner_org"] == "parts"
    assert event.details["org"] == "cust"


def test_an_alias_no_provider_can_have_is_simply_not_found(api: Api, acme: World) -> None:
    for alias in ("a%00b", "x" * 64):
        assert_problem(api.get(f"{BASE}/{alias}", "ada"), 404, "not-found")
        assert_problem(api.patch(f"{BASE}/{alias}", "ada", {"timeout": 5}), 404, "not-found")


@pytest.mark.parametrize("rule", ["check_alias", "check_domains"])
def test_a_parallel_add_that_passed_the_checks_first_is_a_conflict_not_an_error(
    api: Api, acme: World, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    """Two admins add at once: both pass the checks, the database's unique keys decide."""
    add(api)
    monkeypatch.setattr(f"bridge.federation.provider_admin.{rule}", lambda *args: None)
    before = snapshot(acme.services)
    second = (
        provider_body("acme-okta")  # the alias taken
        if rule == "check_alias"
        else provider_body("acme-azure", domains=["acme.example"])  # the domain taken
    )
    body = assert_problem(api.post(BASE, "ada", second), 409, "conflict")
    assert "was taken meanwhile" in body["detail"]
    assert snapshot(acme.services) == before
