"""The ``client_credentials`` grant for API clients (issue 12), and how they authenticate.

- **The grant** (``ApiClientCredentialsGrant``, Authlib's): only API clients
  (``bridge.services.api_clients``) may use it; a request that names no scope gets every scope
  an admin granted, one that names a scope not granted is ``invalid_scope``.
- **The token** (``ClientTokenGenerator``): a JWT access token of the RFC 9068 profile
  (``typ: at+jwt``; ``iss``, ``sub`` = ``client_id`` = the client, ``aud`` = the issuer,
  ``exp``, ``iat``, ``jti``, ``scope``), signed with the bridge's active key and living
  ``tokens.access_token_ttl``. No refresh token.
- **Its record** (``ClientTokens``): the token's hash in the ephemeral store, so that
  introspection answers for it and revocation ends it. Kept apart from user tokens: a client's
  token never passes where a user's is needed (userinfo, the admin API, forward auth). A
  token of a client that was removed introspects as inactive.
- **private_key_jwt** (``PrivateKeyJwt``, RFC 7523 with Authlib): the client signs an
  assertion with a key of the JWK Set it registered; the audience is the token endpoint or the
  issuer; an assertion lives at most an hour and is accepted once (its ``jti`` is remembered in
  the ephemeral store until it expires).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidScopeError, grants
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bridge.domain.events import AuditEventName
from bridge.oidc.adapters import CONFIDENTIAL_AUTH_METHODS, PRIVATE_KEY_JWT, OAuthClient
from bridge.services.api_clients import granted_scopes
from bridge.services.container import Services

CLIENT_CREDENTIALS = "client_credentials"
#: What a client may sign its assertions with (asymmetric only: keys are public).
ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"]
#: The longest an assertion may live: its ``jti`` is remembered that long.
MAX_ASSERTION_LIFETIME = 3600


def _token_key(token: str) -> str:
    return f"client-at:{hashlib.sha256(token.encode()).hexdigest()}"


@dataclass(frozen=True)
class ClientTokenInfo:
    """An access token issued to an API client, as introspection describes it."""

    key: str
    jti: str
    client_id: str
    scope: str
    audience: str
    issued_at: int
    expires_at: int


class ClientTokens:
    """The record of the tokens issued to API clients, in the ephemeral store."""

    def __init__(self, services: Services) -> None:
        self._s = services

    def remember(self, token: str) -> ClientTokenInfo:
        claims = json.loads(jws.extract_compact(token.encode()).payload)
        info = ClientTokenInfo(
            key=_token_key(token),
            jti=claims["jti"],
            client_id=claims["client_id"],
            scope=claims["scope"],
            audience=claims["aud"],
            issued_at=claims["iat"],
            expires_at=claims["exp"],
        )
        ttl = max(1, info.expires_at - int(self._s.clock()))
        self._s.store.put(info.key, asdict(info), ttl)
        return info

    def find(self, token: str) -> ClientTokenInfo | None:
        """A live token of a client that still exists and is enabled, or None."""
        raw = self._s.store.get(_token_key(token))
        if raw is None:
            return None
        info = ClientTokenInfo(**raw)
        if info.expires_at <= self._s.clock():
            return None
        client = self._s.clients.get(info.client_id)
        if client is None or client.disabled:
            return None
        return info

    def revoke(self, info: ClientTokenInfo) -> None:
        self._s.store.delete(info.key)


class ClientTokenGenerator:
    """Authlib's token generator for ``client_credentials``: an RFC 9068 JWT."""

    def __init__(self, services: Services) -> None:
        self._s = services

    def __call__(
        self,
        grant_type: str,
        client: OAuthClient,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        s = self._s
        now = int(s.clock())
        ttl = s.settings.tokens.access_token_ttl
        scope = client.get_allowed_scope(scope)
        claims = {
            "iss": s.settings.issuer,
            "sub": client.get_client_id(),
            "aud": s.settings.issuer,
            "exp": now + ttl,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
            "client_id": client.get_client_id(),
            "scope": scope,
        }
        kid, key = s.keys.signer()
        header = {"alg": s.settings.keys.signing_alg, "typ": "at+jwt", "kid": kid}
        token = jwt.encode(header, claims, key)
        return {"token_type": "Bearer", "access_token": token, "expires_in": ttl, "scope": scope}


class ApiClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """Authlib's grant; API clients only (``OAuthClient.check_grant_type``), granted scopes only."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL_AUTH_METHODS, PRIVATE_KEY_JWT]

    def validate_requested_scope(self) -> None:
        client: OAuthClient = self.request.client
        requested = (self.request.payload.scope or "").split()
        if granted_scopes(client.record, requested) is None:
            raise InvalidScopeError("A scope was requested that this client was not granted.")


def issue_client_token(services: Services, token: dict[str, Any], client: OAuthClient) -> None:
    """Record a token issued to an API client (introspection, revocation) and audit it."""
    info = ClientTokens(services).remember(token["access_token"])
    services.audit.record(
        AuditEventName.API_CLIENT_TOKEN_ISSUED,
        client_id=client.get_client_id(),
        details={"scope": info.scope, "jti": info.jti, "expires_at": info.expires_at},
    )


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """``private_key_jwt`` (RFC 7523 §2.2): an assertion signed with the client's own key."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, services: Services) -> None:
        super().__init__(validate_jti=True)
        self.services = services

    def get_audiences(self) -> list[str]:
        issuer = self.services.settings.issuer
        return [f"{issuer}/token", issuer]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        if not client.record.jwks:
            raise InvalidClientError(description="The client registered no keys.")
        return KeySet.import_key_set(client.record.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        """Authlib's, with the algorithms limited to asymmetric ones."""
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise InvalidClientError(description="The client assertion is not valid.") from error
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        """Accept each assertion once: its ``jti`` is remembered until it expires."""
        exp = claims.get("exp")
        if not isinstance(jti, str) or not 0 < len(jti) <= 200 or not isinstance(exp, int | float):
            return False
        lifetime = int(exp - self.services.clock())
        if lifetime > MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(
                description=f"A client assertion may live at most {MAX_ASSERTION_LIFETIME} s."
            )
        digest = hashlib.sha256(jti.encode()).hexdigest()
        key = f"assertion-jti:{claims['sub']}:{digest}"
        return self.services.store.add(key, {}, max(1, lifetime + self.leeway))
