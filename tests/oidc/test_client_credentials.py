"""API clients with client credentials (issue 12, item 2), over real HTTP against a live bridge."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from bridge.services.api_clients import NewSecret
from bridge.services.orgs import Actor
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_tokens

pytestmark = pytest.mark.real_http("client credentials as a machine client sends them")

OPERATOR = Actor.operator()


@pytest.fixture
def acme(live: LiveBridge) -> str:
    live.services.orgs.create(OPERATOR, "acme", "Acme")
    return "acme"


@pytest.fixture
def metadata(live: LiveBridge) -> dict[str, Any]:
    response = requests.get(f"{live.url}/.well-known/openid-configuration", timeout=10)
    document: dict[str, Any] = response.json()
    return document


def _api_client(live: LiveBridge, scopes: list[str], **extra: Any) -> NewSecret:
    return live.services.api_clients.create(OPERATOR, "acme", "Billing sync", scopes, **extra)


def _token(metadata: dict[str, Any], auth: tuple[str, str], **data: str) -> requests.Response:
    return requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "client_credentials", **data},
        auth=auth,
        timeout=10,
    )


def _introspect(metadata: dict[str, Any], auth: tuple[str, str], token: str) -> dict[str, Any]:
    response = requests.post(
        metadata["introspection_endpoint"], data={"token": token}, auth=auth, timeout=10
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _claims(metadata: dict[str, Any], token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token, keys)
    return dict(decoded.header), dict(decoded.claims)


def test_discovery_lists_the_grant_and_the_auth_methods(metadata: dict[str, Any]) -> None:
    assert "client_credentials" in metadata["grant_types_supported"]
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert "RS256" in metadata["token_endpoint_auth_signing_alg_values_supported"]


def test_a_request_with_no_scope_gets_every_granted_scope_as_an_rfc9068_jwt(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read", "invoices:write"])
    assert new.secret is not None
    response = _token(metadata, (new.view.client_id, new.secret))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    assert body["scope"] == "invoices:read invoices:write"
    header, claims = _claims(metadata, body["access_token"])
    assert header["typ"] == "at+jwt"
    assert claims["iss"] == live.url
    assert claims["sub"] == claims["client_id"] == new.view.client_id
    assert claims["aud"] == live.url
    assert claims["scope"] == "invoices:read invoices:write"
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["jti"]


def test_a_request_gets_only_the_granted_scopes_it_names(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read", "invoices:write"])
    assert new.secret is not None
    response = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "scope": "invoices:read",
            "client_id": new.view.client_id,
            "client_secret": new.secret,  # client_secret_post
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "invoices:read"


@pytest.mark.parametrize("scope", ["invoices:delete", "invoices:read admin", "openid"])
def test_a_scope_not_granted_is_invalid_scope(
    live: LiveBridge, acme: str, metadata: dict[str, Any], scope: str
) -> None:
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    response = _token(metadata, (new.view.client_id, new.secret), scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_is_invalid_client(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    response = _token(metadata, (new.view.client_id, "not-the-secret"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_removed_client_is_refused_and_its_tokens_introspect_inactive(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    other = _api_client(live, ["invoices:read"])
    assert new.secret is not None and other.secret is not None
    auth = (new.view.client_id, new.secret)
    token = _token(metadata, auth).json()["access_token"]
    live.services.api_clients.remove(OPERATOR, "acme", new.view.client_id)
    refused = _token(metadata, auth)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    # Its token is no longer active for anyone who asks.
    answer = _introspect(metadata, (other.view.client_id, other.secret), token)
    assert answer == {"active": False}


def test_introspection_answers_for_a_client_token_and_revocation_ends_it(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    auth = (new.view.client_id, new.secret)
    body = _token(metadata, auth).json()
    answer = _introspect(metadata, auth, body["access_token"])
    assert answer["active"] is True
    assert answer["client_id"] == new.view.client_id
    assert answer["scope"] == "invoices:read"
    assert answer["exp"] > time.time()
    revoked = requests.post(
        metadata["revocation_endpoint"], data={"token": body["access_token"]}, auth=auth, timeout=10
    )
    assert revoked.status_code == 200
    assert _introspect(metadata, auth, body["access_token"]) == {"active": False}


def test_an_expired_client_token_introspects_inactive(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    auth = (new.view.client_id, new.secret)
    body = _token(metadata, auth).json()
    live.clock.advance(body["expires_in"] + 1)
    assert _introspect(metadata, auth, body["access_token"]) == {"active": False}


def test_rotating_the_secret_invalidates_the_old_one(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    rotated = live.services.api_clients.rotate_secret(OPERATOR, "acme", new.view.client_id)
    assert rotated.secret is not None and rotated.secret != new.secret
    assert _token(metadata, (new.view.client_id, new.secret)).status_code == 401
    assert _token(metadata, (new.view.client_id, rotated.secret)).status_code == 200


def test_a_client_token_is_no_user_token(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    token = _token(metadata, (new.view.client_id, new.secret)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        requests.get(metadata["userinfo_endpoint"], headers=headers, timeout=10).status_code == 401
    )
    admin = requests.get(f"{live.url}/admin/api/v1/orgs", headers=headers, timeout=10)
    assert admin.status_code == 401


def test_a_relying_party_may_not_use_client_credentials(
    live: LiveBridge, metadata: dict[str, Any]
) -> None:
    client_id, secret = live.add_client()
    assert secret is not None
    response = _token(metadata, (client_id, secret))
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_an_api_client_may_not_start_a_user_login(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    rp = RelyingParty(live.url, new.view.client_id, new.secret)
    response = requests.get(rp.authorization_request().url, allow_redirects=False, timeout=10)
    assert response.status_code == 400


# --- private_key_jwt ---------------------------------------------------------------------------


def _key_client(live: LiveBridge) -> tuple[str, RSAKey]:
    key = RSAKey.generate_key(2048, parameters={"kid": "sync-1"})
    public = key.as_dict(private=False)
    new = _api_client(live, ["invoices:read"], jwks={"keys": [public]})
    assert new.secret is None
    assert new.view.auth_method == "private_key_jwt"
    return new.view.client_id, key


def _assertion(client_id: str, key: RSAKey, audience: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    return jwt.encode({"alg": "RS256", "kid": "sync-1"}, payload, key)


def _with_assertion(metadata: dict[str, Any], assertion: str) -> requests.Response:
    return requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )


def test_private_key_jwt_with_a_registered_key_gets_a_token(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    client_id, key = _key_client(live)
    for audience in (metadata["token_endpoint"], live.url):
        response = _with_assertion(metadata, _assertion(client_id, key, audience))
        assert response.status_code == 200, response.text
        assert _claims(metadata, response.json()["access_token"])[1]["sub"] == client_id


def test_a_replayed_assertion_is_refused(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    client_id, key = _key_client(live)
    assertion = _assertion(client_id, key, metadata["token_endpoint"])
    assert _with_assertion(metadata, assertion).status_code == 200
    replayed = _with_assertion(metadata, assertion)
    # invalid_client is 400 when the client authenticated in the body (RFC 6749 §5.2).
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://elsewhere.example/token"},
        {"exp": int(time.time()) + 7200},
        {"exp": int(time.time()) - 600},
    ],
    ids=["another-audience", "too-long-lived", "expired"],
)
def test_an_assertion_for_another_audience_or_lifetime_is_refused(
    live: LiveBridge, acme: str, metadata: dict[str, Any], claims: dict[str, Any]
) -> None:
    client_id, key = _key_client(live)
    response = _with_assertion(
        metadata, _assertion(client_id, key, metadata["token_endpoint"], **claims)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_an_assertion_signed_by_another_key_is_refused(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    client_id, _key = _key_client(live)
    stranger = RSAKey.generate_key(2048, parameters={"kid": "sync-1"})
    response = _with_assertion(
        metadata, _assertion(client_id, stranger, metadata["token_endpoint"])
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_a_client_with_keys_has_no_secret_to_use(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    client_id, _key = _key_client(live)
    response = _token(metadata, (client_id, ""))
    assert response.status_code == 401


def test_user_tokens_still_work_beside_api_clients(
    live: LiveBridge, rp: RelyingParty, acme: str
) -> None:
    _, tokens = first_tokens(live, rp, Browser(), "beside")
    assert rp.userinfo(tokens["access_token"]).status_code == 200


def test_the_owning_organisation_sees_each_token_issued_in_its_audit_log(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    live.services.orgs.create(OPERATOR, "globex", "Globex")
    new = _api_client(live, ["invoices:read"])
    assert new.secret is not None
    _token(metadata, (new.view.client_id, new.secret))
    seen = live.services.org_audit.events(OPERATOR, "acme")
    issued = [e for e in seen if e.event == "api_client_token_issued"]
    assert [e.client_id for e in issued] == [new.view.client_id]
    assert issued[0].details["scope"] == "invoices:read"
    others = live.services.org_audit.events(OPERATOR, "globex")
    assert not [e for e in others if e.event == "api_client_token_issued"]


@pytest.mark.parametrize(
    "assertion",
    [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOjQyfQ.c2ln",  # sub is a number
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2ln",  # sub names no client
        "eyJhbGciOiJub25lIn0.WzFd.",  # a payload that is no object
    ],
)
def test_a_malformed_assertion_is_invalid_client_never_a_server_error(
    live: LiveBridge, acme: str, metadata: dict[str, Any], assertion: str
) -> None:
    response = _with_assertion(metadata, assertion)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_an_unsigned_assertion_for_a_key_client_is_refused(
    live: LiveBridge, acme: str, metadata: dict[str, Any]
) -> None:
    client_id, _key = _key_client(live)
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": live.url, "exp": now + 60, "jti": "x"}

    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    response = _with_assertion(metadata, f"{part({'alg': 'none'})}.{part(claims)}.")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
