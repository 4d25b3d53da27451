"""An upstream provider played by ``responses`` (discovery, JWKS, token endpoint) with real RSA
keys, and a federation client over the in-process store and the test clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bridge.config.providers import IdentityProviderSettings
from bridge.domain.clock import FrozenClock
from bridge.federation import FederationClient, IdentityProvider, UpstreamTransaction
from bridge.storage.db.engine import Database
from bridge.storage.ephemeral import MemoryStore
from tests.bridges import MigratedSqlite

ISSUER = "https://login.acme.example"
CLIENT_ID = "the-bridge"
CLIENT_SECRET = "upstream-client-secret"
REDIRECT_URI = "https://bridge.example/federation/acme/callback"
TOKEN_ENDPOINT = f"{ISSUER}/token"
JWKS_URI = f"{ISSUER}/jwks"


@pytest.fixture(scope="session")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


@pytest.fixture(scope="session")
def rotated_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-2"})


@pytest.fixture(scope="session")
def stranger_key() -> RSAKey:
    """A key the provider never published (same kid as the real one)."""
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def provider_config(**overrides: Any) -> IdentityProvider:
    config = IdentityProviderSettings.model_validate(
        {
            "alias": "acme",
            "issuer": ISSUER,
            "client_id": CLIENT_ID,
            "client_secret_env": "BRIDGE_IDP_ACME_CLIENT_SECRET",
            "organisation": "acme",
            "domains": ["acme.example"],
            **overrides,
        }
    )
    return IdentityProvider.from_settings(config, {"BRIDGE_IDP_ACME_CLIENT_SECRET": CLIENT_SECRET})


@dataclass
class FakeProvider:
    """The upstream provider's HTTP side: what it publishes and what its token endpoint says."""

    mock: responses.RequestsMock
    clock: FrozenClock
    key: RSAKey
    published: list[RSAKey | ECKey] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    id_token: str | None = None
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.published = [self.key]
        self.metadata = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": TOKEN_ENDPOINT,
            "jwks_uri": JWKS_URI,
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "authorization_response_iss_parameter_supported": True,
        }
        self.mock.add_callback(
            responses.GET,
            f"{ISSUER}/.well-known/openid-configuration",
            callback=lambda request: (200, {}, json.dumps(self.metadata)),
        )
        self.mock.add_callback(responses.GET, JWKS_URI, callback=self._jwks)
        self.mock.add_callback(responses.POST, TOKEN_ENDPOINT, callback=self._token)

    def _jwks(self, request: Any) -> tuple[int, dict[str, str], str]:
        keys = [key.as_dict(private=False, use="sig") for key in self.published]
        return 200, {}, json.dumps({"keys": keys})

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.token_requests.append(parse_qs(request.body))
        body = {"access_token": "at", "token_type": "Bearer", "expires_in": 300}
        if self.id_token is not None:
            body["id_token"] = self.id_token
        return 200, {}, json.dumps(body)

    def calls(self, url: str) -> int:
        return sum(1 for call in self.mock.calls if call.request.url == url)

    def claims(self, nonce: str, **overrides: Any) -> dict[str, Any]:
        now = int(self.clock())
        claims = {
            "iss": ISSUER,
            "sub": "upstream-248289761001",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now - 5,
            "nonce": nonce,
            "email": "jane@acme.example",
            "email_verified": True,
            "name": "Jane Doe",
            "amr": ["pwd", "hwk"],
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(
        self, claims: dict[str, Any], *, key: RSAKey | ECKey | None = None, alg: str = "RS256"
    ) -> str:
        key = key or self.key
        return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)

    def issue(self, transaction: UpstreamTransaction, **overrides: Any) -> str:
        """The token endpoint will answer with a good ID token for this login (or an altered
        one); returns it."""
        nonce = overrides.pop("nonce", transaction.nonce)
        self.id_token = self.sign(self.claims(nonce, **overrides))
        return self.id_token

    def hmac_token(self, claims: dict[str, Any], secret: bytes, alg: str = "HS256") -> str:
        """An HMAC 'signature' made with ``secret`` (the attack uses the public key)."""
        header = b64(json.dumps({"alg": alg, "kid": self.key.kid}).encode())
        payload = b64(json.dumps(claims).encode())
        mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64(mac)}"

    def unsigned_token(self, claims: dict[str, Any]) -> str:
        header = b64(json.dumps({"alg": "none"}).encode())
        return f"{header}.{b64(json.dumps(claims).encode())}."


@pytest.fixture
def downstream_database(migrated_sqlite: MigratedSqlite, tmp_path: Path) -> Database:
    """The downstream bridge's own database in the two-bridge tests (``two_bridges.py``)."""
    return migrated_sqlite(tmp_path / "downstream.sqlite3")


@pytest.fixture
def provider() -> IdentityProvider:
    return provider_config()


@pytest.fixture
def upstream(clock: FrozenClock, rsa_key: RSAKey) -> Iterator[FakeProvider]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeProvider(mock, clock, rsa_key)


@pytest.fixture
def federation(clock: FrozenClock) -> FederationClient:
    return FederationClient(MemoryStore(clock), clock)


def callback_query(url: str, **extra: str) -> dict[str, str]:
    """What the provider would send back for the authorization URL ``url``: a code, the state
    and its issuer (RFC 9207); ``extra`` overrides or adds parameters."""
    state = parse_qs(urlsplit(url).query)["state"][0]
    return {"code": "the-code", "state": state, "iss": ISSUER, **extra}
