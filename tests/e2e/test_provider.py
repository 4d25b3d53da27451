"""The provider's other promises: userinfo, key rotation, failing closed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from joserfc import jws

from bridge.app import create_app
from bridge.domain.clock import FrozenClock
from bridge.storage.db.engine import Database
from tests.bridges import make_services
from tests.e2e.harness import (
    Browser,
    LiveBridge,
    RelyingParty,
    first_tokens,
)


def login(live: LiveBridge, rp: RelyingParty, username: str) -> tuple[dict[str, str], str]:
    request, tokens = first_tokens(live, rp, Browser(), username)
    return tokens, request.nonce


@pytest.mark.postgres("discovery, tokens and the JWKS over real HTTP on PostgreSQL and Redis")
def test_userinfo_answers_get_and_post_and_refuses_a_missing_or_bad_token(
    live: LiveBridge, rp: RelyingParty
) -> None:
    tokens, _ = login(live, rp, "uinfo")
    endpoint = rp.metadata["userinfo_endpoint"]
    header = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert rp.http.get(endpoint, headers=header).json()["preferred_username"] == "uinfo"
    assert rp.http.post(endpoint, headers=header).json()["preferred_username"] == "uinfo"
    missing = rp.http.get(endpoint)
    assert missing.status_code == 401
    bad = rp.http.get(endpoint, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert "invalid_token" in bad.headers.get("WWW-Authenticate", "")


@pytest.mark.postgres("discovery, tokens and the JWKS over real HTTP on PostgreSQL and Redis")
def test_after_key_rotation_tokens_use_the_new_key_and_the_old_key_stays_published(
    live: LiveBridge, rp: RelyingParty
) -> None:
    before, nonce = login(live, rp, "rot1")
    old_kid = jws.extract_compact(before["id_token"].encode()).headers()["kid"]
    new_kid = live.services.keys.rotate()

    after, nonce_after = login(live, rp, "rot2")
    assert jws.extract_compact(after["id_token"].encode()).headers()["kid"] == new_kid
    published = {key["kid"] for key in rp.http.get(rp.metadata["jwks_uri"]).json()["keys"]}
    assert {old_kid, new_kid} <= published
    # A relying party can still verify the token signed before the rotation.
    assert rp.id_token_claims(before["id_token"], nonce)["sub"]
    assert rp.id_token_claims(after["id_token"], nonce_after)["sub"]

    live.clock.advance(live.services.settings.keys.rotation_grace + 1)
    published = {key["kid"] for key in rp.http.get(rp.metadata["jwks_uri"]).json()["keys"]}
    assert published == {new_kid}


def test_when_redis_is_unreachable_the_bridge_fails_closed_with_503(
    database: Database, tmp_path: Path
) -> None:
    services = make_services(
        "http://127.0.0.1:1",
        database,
        tmp_path / "data",
        FrozenClock(time.time()),
        backend="redis",
        redis_url="redis://127.0.0.1:1/0",
        redis_prefix="unreachable:",
    )
    client_record, secret = services.clients.add("App", ["http://127.0.0.1:9/callback"])
    assert secret is not None
    app = create_app(services=services)
    client = app.test_client()
    page = client.get(
        "/authorize",
        query_string={
            "response_type": "code",
            "client_id": client_record.id,
            "redirect_uri": "http://127.0.0.1:9/callback",
            "scope": "openid",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    assert page.status_code == 503
    assert b"temporarily unavailable" in page.data
    assert page.headers.get("Location") is None
    assert page.headers["Retry-After"] == "5"
    token = client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x", "code_verifier": "v" * 43},
        auth=(client_record.id, secret),
    )
    assert token.status_code == 503
    assert token.get_json()["error"] == "temporarily_unavailable"
    assert token.headers["Retry-After"] == "5"
    admin = client.get("/admin/api/v1/orgs", headers={"Authorization": "Bearer some-token"})
    assert admin.status_code == 503
    assert admin.mimetype == "application/problem+json"
    assert admin.get_json()["type"] == "urn:bridge:problem:unavailable"
    assert admin.headers["Retry-After"] == "5"
    health = client.get("/health")
    assert health.status_code == 503
    services.close()
