"""A federated login through a provider an organisation's admin added with the admin API.

Over real HTTP with two bridges: the upstream bridge (``live``: SQLite + memory, or PostgreSQL
+ Redis) is acme's SSO provider; the downstream bridge has no provider in its configuration.
Acme's admin adds the upstream through ``POST /admin/api/v1/orgs/acme/identity-providers``
for acme's verified domain, and Jane, typing her e-mail, is sent upstream and comes back to the
relying party with ``amr: ["fed"]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.domain.clock import FrozenClock
from bridge.services.container import Services, build_services
from bridge.services.orgs import Actor
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.admin_api import API, Api
from tests.bridges import FAST_ARGON2
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    serve,
    totp_code,
)

ALIAS = "acme-sso"
OPERATOR = Actor.operator()


pytestmark = pytest.mark.real_http(
    "two bridges: the downstream one calls the upstream one over HTTP"
)


@pytest.fixture
def downstream(
    live: LiveBridge, downstream_database: Database, tmp_path: Path
) -> Iterator[tuple[LiveBridge, dict[str, Any]]]:
    """A bridge without configured providers; acme verified sso.example; ada is its admin.
    Yields the bridge and the provider body its admin will send (the upstream's client)."""
    database = downstream_database
    body: dict[str, Any] = {}

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        client, secret = live.services.clients.add(
            "The downstream bridge", [f"{issuer}/federation/{ALIAS}/callback"]
        )
        body.update(
            alias=ALIAS,
            display_name="Acme SSO",
            issuer=live.url,
            client_id=client.id,
            client_secret=secret,
            domains=["sso.example"],
        )
        environ = {
            "BRIDGE_ISSUER": issuer,
            "BRIDGE_DATA_DIR": str(tmp_path / "downstream-data"),
            "BRIDGE_DATABASE_URL": database.url.render_as_string(hide_password=False),
            "BRIDGE_EPHEMERAL__BACKEND": "memory",
            **FAST_ARGON2,
        }
        secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
        services = build_services(load_settings(None, environ), secrets, live.clock)
        services.orgs.create(OPERATOR, "acme", "Acme")
        services.orgs.add_domain(OPERATOR, "acme", "sso.example")
        services.users.create("ada", email="ada@example.com", password=PASSWORD)
        services.members.add(OPERATOR, "acme", "ada", "admin")
        return services, live.clock

    with serve(factory) as bridge:
        yield bridge, body


def admin_token(bridge: LiveBridge) -> str:
    record, _ = bridge.services.clients.add("Admin script", ["http://127.0.0.1:9/callback"])
    bridge.services.orgs.allow_admin_scope(OPERATOR, record.id)
    return Api(None, bridge.services, record.id).token("ada")  # type: ignore[arg-type]


def add_provider_over_http(bridge: LiveBridge, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{bridge.url}{API}/orgs/acme/identity-providers",
        json=body,
        headers={"Authorization": f"Bearer {admin_token(bridge)}"},
        timeout=10,
    )


def test_a_provider_added_through_the_admin_api_signs_jane_in_with_fed(
    live: LiveBridge, downstream: tuple[LiveBridge, dict[str, Any]], browser: Browser
) -> None:
    bridge, body = downstream
    added = add_provider_over_http(bridge, body)
    assert added.status_code == 201, added.text
    assert added.json()["client_secret_set"] is True
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    client_id, secret = bridge.add_client()
    app = RelyingParty(bridge.url, client_id, secret, now=bridge.clock)

    request = app.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in"
    upstream_page = browser.submit(username="jane@sso.example", password="")
    assert isinstance(upstream_page, Page) and upstream_page.url.startswith(live.url)
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))

    assert isinstance(landed, str), browser.page
    params = callback_params(landed)
    assert params["state"] == request.state
    tokens = app.exchange(params["code"], request.verifier).json()
    claims = app.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["fed"]
    succeeded = bridge.audit("sign_in_succeeded")[-1]
    assert succeeded.mfa_factor_type == "federated"
    members = bridge.services.members.members(OPERATOR, "acme")
    assert sorted(str(m.email) for m in members) == ["ada@example.com", "jane@sso.example"]


def test_a_removed_api_provider_no_longer_takes_anyone_upstream(
    downstream: tuple[LiveBridge, dict[str, Any]], browser: Browser
) -> None:
    bridge, body = downstream
    assert add_provider_over_http(bridge, body).status_code == 201
    bridge.services.provider_admin.remove(OPERATOR, "acme", ALIAS)

    page = browser.open(f"{bridge.url}/federation/{ALIAS}/start?flow=x")
    assert isinstance(page, Page) and page.status == 404
    assert "not configured here" in page.html
