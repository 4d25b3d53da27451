"""Single sign-on providers in the admin console: listed, added, their secret changed and removed
through ``services.provider_admin`` as the admin API does; every refusal is shown on the page with
the service's message and status and changes nothing. Flask's test client, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bridge.app import create_app
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.storage.db.engine import Database
from tests.admin.providers.test_api import link
from tests.federation.stored_providers import (
    CONFIGURED,
    OPERATOR,
    SECRET,
    build,
    new_secrets,
    provider_body,
    snapshot,
)
from tests.world import World

PAGE = "/admin/orgs/acme/identity-providers"


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    """The bridge with two configured providers: acme-config (serves acme) and google."""
    return {"identity_providers": CONFIGURED}


@dataclass
class Console:
    """One user's browser on the console, signed in with a bridge session."""

    client: FlaskClient
    services: Services
    seen: list[str]  # every HTML page served, to show the secret is never in one

    def get(self, path: str = PAGE) -> TestResponse:
        response = self.client.get(path)
        self.seen.append(response.get_data(as_text=True))
        return response

    def page(self, path: str = PAGE) -> BeautifulSoup:
        response = self.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return BeautifulSoup(response.get_data(as_text=True), "html.parser")

    def token(self) -> str:
        found = self.page("/admin/orgs/acme").select_one("input[name=csrf_token]")
        assert found is not None
        return str(found["value"])

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> TestResponse:
        form = {"csrf_token": self.token(), **data} if csrf else data
        response = self.client.post(path, data=form)
        self.seen.append(response.get_data(as_text=True))
        return response

    def add(self, *, csrf: bool = True, **fields: Any) -> TestResponse:
        form: dict[str, Any] = {
            "alias": "acme-okta",
            "display_name": "Acme Okta",
            "issuer": "https://acme-okta.idp.example",
            "client_id": "the-bridge",
            "client_secret": SECRET,
            "domains": ["acme.example"],
            **fields,
        }
        return self.post(PAGE, form, csrf=csrf)


def sign_in(services: Services, world: World, username: str) -> Console:
    console = Console(create_app(services=services).test_client(), services, [])
    session = services.sessions.create(
        world.row(username).id, ("pwd", "otp"), int(world.clock()), None
    )
    console.client.set_cookie(services.settings.session.cookie_name, session)
    return console


@pytest.fixture
def ada(services: Services, acme: World) -> Console:
    return sign_in(services, acme, "ada")


def soup(response: TestResponse) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def errors(response: TestResponse) -> str:
    box = soup(response).select_one("#form-errors")
    return box.get_text(" ", strip=True) if box else ""


def row(page: BeautifulSoup, alias: str) -> str:
    found = page.select_one(f"tr[data-alias={alias}]")
    assert found is not None, f"no row for {alias}"
    return found.get_text(" ", strip=True)


# --- the list -------------------------------------------------------------------------------


def test_the_organisation_page_links_to_its_providers(ada: Console) -> None:
    link_ = ada.page("/admin/orgs/acme").select_one("#providers-link")
    assert link_ is not None and link_["href"] == PAGE


def test_the_page_lists_configured_providers_read_only_and_stored_ones(
    ada: Console, acme: World
) -> None:
    acme.services.provider_admin.add(
        OPERATOR, "acme", provider_body(domains=["acme.example"], display_name="Acme Okta")
    )
    page = ada.page()
    assert [r["data-alias"] for r in page.select("#providers tr[data-alias]")] == [
        "acme-config",
        "acme-okta",
    ]
    assert "From the configuration: read-only" in row(page, "acme-config")
    assert page.select_one("tr[data-alias=acme-config] form") is None
    stored = row(page, "acme-okta")
    for shown in ("Acme Okta", "https://acme-okta.idp.example", "the-bridge", "acme.example"):
        assert shown in stored
    assert "a secret is set" in stored
    assert "google" not in page.get_text()  # a global provider serves no one organisation
    assert "names no provider" in page.select_one("#sso-policy").get_text()  # type: ignore[union-attr]
    assert SECRET not in str(page)


def test_an_unusable_provider_is_shown_with_the_reason_in_a_warning(
    database: Database, tmp_path: Path, clock: FrozenClock, services: Services, acme: World
) -> None:
    """The operator dropped the key the secret was sealed with, without resealing first."""
    services.provider_admin.add(OPERATOR, "acme", provider_body(domains=["acme.example"]))
    other_keys = build(database, tmp_path, clock, secrets=new_secrets())
    try:
        page = sign_in(other_keys, acme, "ada").page()
        warning = page.select_one("tr[data-alias=acme-okta] .unusable")
        assert warning is not None and "BRIDGE_ENCRYPTION_KEYS" in warning.get_text()
        assert "a secret is set" in row(page, "acme-okta")
    finally:
        other_keys.close()


def test_the_page_says_which_provider_the_sso_policy_names(ada: Console, acme: World) -> None:
    acme.services.provider_admin.add(OPERATOR, "acme", provider_body(domains=["acme.example"]))
    acme.services.orgs.update_policy(
        OPERATOR, "acme", {"sso_enabled": True, "sso_idp_alias": "acme-okta"}
    )
    sso = ada.page().select_one("#sso-policy")
    assert sso is not None and "names acme-okta" in sso.get_text(" ", strip=True)


def test_the_add_form_offers_only_the_verified_domains(ada: Console) -> None:
    page = ada.page()
    offered = [str(box["value"]) for box in page.select("#domains input[name=domains]")]
    assert offered == ["acme-group.example", "acme.example"]
    assert "(verified)" in page.select_one("#domains").get_text()  # type: ignore[union-attr]
    secret = page.select_one("#client_secret")
    assert secret is not None and secret["type"] == "password"
    assert "admin API" in page.select_one("#api-only").get_text()  # type: ignore[union-attr]


# --- adding ---------------------------------------------------------------------------------


def test_an_admin_adds_a_provider_and_home_realm_discovery_finds_it(
    ada: Console, acme: World
) -> None:
    response = ada.add(link_by_verified_email="on")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PAGE}?notice=provider-added")
    provider = acme.services.identity_providers.get("acme-okta")
    assert provider is not None and provider.source == "database"
    assert provider.client_secret == SECRET and provider.link_by_verified_email is True
    assert provider.display_name == "Acme Okta"
    found = acme.services.home_realm.provider_for("x@acme.example")
    assert found is not None and found.alias == "acme-okta"
    page = ada.page(response.headers["Location"])
    assert "The provider was added." in page.select_one("#notice").get_text()  # type: ignore[union-attr]
    assert "acme-okta" in [r["data-alias"] for r in page.select("tr[data-alias]")]


def test_an_empty_secret_adds_a_public_client(ada: Console, acme: World) -> None:
    assert ada.add(client_secret="").status_code == 303
    provider = acme.services.identity_providers.get("acme-okta")
    assert provider is not None and provider.client_secret is None
    assert "no secret (public client)" in row(ada.page(), "acme-okta")


def test_the_add_is_audited_as_coming_from_the_console(ada: Console, acme: World) -> None:
    ada.add()
    [event] = acme.services.audit.events(event="identity_provider_added")
    assert event.details["via"] == "console" and event.details["org"] == "acme"
    assert event.actor_id == acme.row("ada").id


def test_a_partner_admin_adds_a_provider_for_a_customer(services: Services, world: World) -> None:
    world.user("pat")
    world.org("parts", kind="partner", mode="trial")
    world.org("cust", kind="customer", parent="parts")
    world.join("parts", "pat", "admin")
    pat = sign_in(services, world, "pat")
    token = pat.page("/admin/orgs/cust/identity-providers").select_one("input[name=csrf_token]")
    assert token is not None
    response = pat.client.post(
        "/admin/orgs/cust/identity-providers",
        data={
            "csrf_token": str(token["value"]),
            "alias": "cust-idp",
            "issuer": "https://cust.idp.example",
            "client_id": "bridge",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    [event] = services.audit.events(event="identity_provider_added")
    assert event.details["impersonation"]["partner_org"] == "parts"
    assert event.details["via"] == "console"


# --- the secret -----------------------------------------------------------------------------


def test_the_secret_is_never_in_any_page(ada: Console, acme: World) -> None:
    ada.add(alias="acme-config")  # refused: the form comes back without the secret
    ada.add(domains=["nope.example"])  # refused
    ada.add()
    ada.get()
    ada.post(f"{PAGE}/acme-okta/secret", {"client_secret": SECRET + "-new"})
    ada.post(f"{PAGE}/acme-okta/secret", {"client_secret": "x\x00y"})  # refused
    ada.get()
    ada.get(f"{PAGE}/acme-okta/remove")
    ada.post(f"{PAGE}/acme-okta/remove", {})  # refused: not confirmed
    ada.post(f"{PAGE}/acme-okta/remove", {"confirm": "on"})
    ada.get()
    assert len(ada.seen) > 10
    for html in ada.seen:
        assert SECRET not in html


def test_a_refused_add_keeps_the_fields_but_not_the_secret(ada: Console) -> None:
    response = ada.add(alias="acme-config")
    page = soup(response)
    assert page.select_one("#alias")["value"] == "acme-config"  # type: ignore[index]
    assert page.select_one("#issuer")["value"] == "https://acme-okta.idp.example"  # type: ignore[index]
    assert not page.select_one("#client_secret").get("value")  # type: ignore[union-attr]


def test_an_admin_changes_the_client_secret(ada: Console, acme: World) -> None:
    ada.add()
    response = ada.post(f"{PAGE}/acme-okta/secret", {"client_secret": "a-brand-new-secret"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("notice=provider-secret")
    provider = acme.services.identity_providers.get("acme-okta")
    assert provider is not None and provider.client_secret == "a-brand-new-secret"
    [event] = acme.services.audit.events(event="identity_provider_changed")
    assert event.details["changed"] == ["client_secret"] and event.details["via"] == "console"


def test_a_bad_new_secret_is_refused_next_to_its_form(ada: Console, acme: World) -> None:
    ada.add()
    before = snapshot(acme.services)
    response = ada.post(f"{PAGE}/acme-okta/secret", {"client_secret": "   "})
    assert response.status_code == 422
    box = soup(response).select_one("tr[data-alias=acme-okta] #form-errors")
    assert box is not None and box.get_text(" ", strip=True) == (
        "The request is not valid. 'Client secret' must be null (a public client) or 1-1024 "
        "printable characters."
    )
    assert snapshot(acme.services) == before


def test_the_secret_of_a_configured_provider_is_not_changed(ada: Console, acme: World) -> None:
    before = snapshot(acme.services)
    response = ada.post(f"{PAGE}/acme-config/secret", {"client_secret": "other"})
    assert response.status_code == 409
    assert "configuration file" in errors(response)
    assert snapshot(acme.services) == before


# --- removing -------------------------------------------------------------------------------


def test_the_confirmation_page_says_how_many_accounts_are_linked(ada: Console, acme: World) -> None:
    ada.add()
    link(acme.services, "acme-okta", "sub-1", "bob")
    link(acme.services, "acme-okta", "sub-2", "ada")
    page = ada.page(f"{PAGE}/acme-okta/remove")
    assert "2 accounts linked" in page.select_one("#linked").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert "I understand 2 linked accounts are removed" in page.get_text(" ", strip=True)


def test_an_admin_removes_a_provider_after_confirming(ada: Console, acme: World) -> None:
    ada.add()
    link(acme.services, "acme-okta", "sub-1", "bob")
    response = ada.post(f"{PAGE}/acme-okta/remove", {"confirm": "on"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("notice=provider-removed")
    assert acme.services.identity_providers.get("acme-okta") is None
    assert acme.services.home_realm.provider_for("x@acme.example") is None
    assert snapshot(acme.services)["links"] == []
    [event] = acme.services.audit.events(event="identity_provider_removed")
    assert event.details["links_removed"] == 1 and event.details["via"] == "console"


def test_a_removal_without_the_confirmation_changes_nothing(ada: Console, acme: World) -> None:
    ada.add()
    link(acme.services, "acme-okta", "sub-1", "bob")
    before = snapshot(acme.services)
    response = ada.post(f"{PAGE}/acme-okta/remove", {})
    assert response.status_code == 422
    assert "Tick the box" in errors(response)
    assert snapshot(acme.services) == before


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        # the console names the organisation by its name (the API says 'acme')
        ({"domains": ["nope.example"]}, 422, "not verified by 'Acme'"),
        ({"domains": ["globex.example"]}, 422, "not verified by 'Acme'"),
        ({"alias": "acme-config"}, 409, "belongs to a provider in the bridge's configuration"),
        ({"alias": "google"}, 409, "belongs to a provider in the bridge's configuration"),
        # the configuration's validators, the field named by its label (the API names its key)
        (
            {"issuer": "http://acme-okta.idp.example"},
            422,
            "'Issuer' must use https:// (http:// is allowed only for localhost and loopback).",
        ),
        (
            {"issuer": "not a url"},
            422,
            "'Issuer' must be an absolute URL without spaces, query or fragment.",
        ),
        (
            {"alias": "Bad Alias!"},
            422,
            "'Alias' must be 1-63 characters of a-z, 0-9, '_' and '-' (a URL slug).",
        ),
        ({"client_id": ""}, 422, "'Client id' must not be empty."),
        (
            {"domains": ["not a domain"]},
            422,
            "'E-mail domains' 'not a domain' is not a domain name.",
        ),
        ({"domains": ["config.acme.example"]}, 422, "config.acme.example"),
    ],
)
def test_a_refused_add_shows_the_reason_and_changes_nothing(
    ada: Console, acme: World, fields: dict[str, Any], status: int, message: str
) -> None:
    before = snapshot(acme.services)
    response = ada.add(**fields)
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    assert message in errors(response)
    assert soup(response).select_one("#add-provider-form") is not None
    assert snapshot(acme.services) == before
    assert not acme.services.audit.events(event="identity_provider_added")


@pytest.mark.parametrize(
    ("language", "fields", "message"),
    [
        (
            "de",
            {"issuer": "http://acme-okta.idp.example"},
            "Die Anfrage ist ungültig. „Aussteller“ muss https:// verwenden (http:// ist nur für "
            "localhost und Loopback-Adressen erlaubt).",
        ),
        (
            "de",
            {"domains": ["not a domain"]},
            "Die Anfrage ist ungültig. „E-Mail-Domains“ enthält 'not a domain', das kein "
            "Domainname ist.",
        ),
        ("de", {"client_id": ""}, "Die Anfrage ist ungültig. „Client-ID“ darf nicht leer sein."),
        (
            "en",
            {"issuer": "http://acme-okta.idp.example"},
            "The request is not valid. 'Issuer' must use https:// (http:// is allowed only for "
            "localhost and loopback).",
        ),
        (
            "en",
            {"domains": ["not a domain"]},
            "The request is not valid. 'E-mail domains' 'not a domain' is not a domain name.",
        ),
    ],
)
def test_a_refused_add_is_explained_in_the_admin_s_language_with_the_field_s_label(
    ada: Console, acme: World, language: str, fields: dict[str, Any], message: str
) -> None:
    ada.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = ada.add(**fields)
    assert response.status_code == 422
    assert errors(response) == message
    assert soup(response).select_one("html")["lang"] == language  # type: ignore[index]


def test_a_refused_secret_names_the_field_by_its_german_label(ada: Console, acme: World) -> None:
    ada.add()
    ada.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    response = ada.post(f"{PAGE}/acme-okta/secret", {"client_secret": "   "})
    assert response.status_code == 422
    box = soup(response).select_one("tr[data-alias=acme-okta] #form-errors")
    assert box is not None
    assert box.get_text(" ", strip=True) == (
        "Die Anfrage ist ungültig. „Client-Geheimnis“ muss leer sein (ein öffentlicher Client) "
        "oder aus 1–1024 druckbaren Zeichen bestehen."
    )


def test_an_alias_already_taken_is_a_conflict(ada: Console, acme: World) -> None:
    ada.add()
    before = snapshot(acme.services)
    response = ada.add(issuer="https://other.idp.example", domains=["acme-group.example"])
    assert response.status_code == 409
    assert "taken by another provider" in errors(response)
    assert snapshot(acme.services) == before


def test_a_domain_of_another_provider_is_a_conflict(ada: Console, acme: World) -> None:
    ada.add()
    before = snapshot(acme.services)
    response = ada.add(alias="acme-two", issuer="https://two.idp.example")
    assert response.status_code == 409
    assert "already belongs to the provider 'acme-okta'" in errors(response)
    assert snapshot(acme.services) == before


def test_a_provider_the_sso_policy_names_is_not_removed(ada: Console, acme: World) -> None:
    ada.add()
    acme.services.orgs.update_policy(
        OPERATOR, "acme", {"sso_enabled": True, "sso_idp_alias": "acme-okta"}
    )
    before = snapshot(acme.services)
    response = ada.post(f"{PAGE}/acme-okta/remove", {"confirm": "on"})
    assert response.status_code == 409
    assert "single sign-on policy of Acme names 'acme-okta'" in errors(response)
    assert snapshot(acme.services) == before


def test_a_configured_provider_has_no_removal_page_and_is_not_removed(
    ada: Console, acme: World
) -> None:
    before = snapshot(acme.services)
    response = ada.post(f"{PAGE}/acme-config/remove", {"confirm": "on"})
    assert response.status_code == 409
    assert "configuration file" in errors(response)
    assert snapshot(acme.services) == before


def test_an_unknown_provider_is_not_found(ada: Console, acme: World) -> None:
    assert ada.get(f"{PAGE}/nobody/remove").status_code == 404
    response = ada.post(f"{PAGE}/nobody/secret", {"client_secret": "x"})
    assert response.status_code == 404
    assert "no identity provider 'nobody'" in errors(response)


def test_a_form_without_its_csrf_token_is_refused(ada: Console, acme: World) -> None:
    before = snapshot(acme.services)
    assert ada.add(csrf=False).status_code == 400
    assert snapshot(acme.services) == before


def test_a_member_who_is_not_an_admin_sees_no_provider_page(
    services: Services, acme: World
) -> None:
    acme.services.provider_admin.add(OPERATOR, "acme", provider_body(domains=["acme.example"]))
    bob = sign_in(services, acme, "bob")
    for path in (PAGE, f"{PAGE}/acme-okta/remove"):
        response = bob.get(path)
        assert response.status_code == 403
        assert "Only an admin" in response.get_data(as_text=True)


def test_an_admin_of_another_organisation_changes_nothing(services: Services, acme: World) -> None:
    acme.services.provider_admin.add(OPERATOR, "acme", provider_body(domains=["acme.example"]))
    gus = sign_in(services, acme, "gus")
    # His CSRF token is valid (from his own organisation's page); he is still no admin of acme.
    token = gus.page("/admin/orgs/globex").select_one("input[name=csrf_token]")
    assert token is not None
    before = snapshot(acme.services)
    for path, data in [
        (PAGE, {"alias": "gus-idp", "issuer": "https://g.idp.example", "client_id": "g"}),
        (f"{PAGE}/acme-okta/secret", {"client_secret": "mine"}),
        (f"{PAGE}/acme-okta/remove", {"confirm": "on"}),
    ]:
        response = gus.client.post(path, data={"csrf_token": str(token["value"]), **data})
        assert response.status_code == 403, response.get_data(as_text=True)[:500]
        assert "Only an admin" in response.get_data(as_text=True)
    assert snapshot(acme.services) == before
    assert gus.get().status_code == 403
