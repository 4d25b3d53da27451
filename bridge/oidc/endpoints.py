"""Revocation (RFC 7009), introspection (RFC 7662), userinfo and RP-initiated logout."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2.rfc6749 import InvalidRequestError, TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Request
from flask import request as flask_request

from bridge.oidc.adapters import (
    PRIVATE_KEY_JWT,
    AuthenticatedUser,
    IssuedAccessToken,
    IssuedRefreshToken,
    OAuthClient,
)
from bridge.oidc.client_credentials import ClientTokenInfo, ClientTokens
from bridge.services.container import Services


class IssuedClientToken(TokenMixin):  # type: ignore[misc]
    """An access token issued to an API client (``bridge.oidc.client_credentials``)."""

    def __init__(self, info: ClientTokenInfo) -> None:
        self.info = info

    def check_client(self, client: OAuthClient) -> bool:
        return bool(client.get_client_id() == self.info.client_id)

    def get_scope(self) -> str:
        return self.info.scope

    def get_expires_in(self) -> int:
        return self.info.expires_at - self.info.issued_at

    def is_expired(self) -> bool:
        return False  # ClientTokens only returns live tokens

    def is_revoked(self) -> bool:
        return False


TokenRecord = IssuedAccessToken | IssuedRefreshToken | IssuedClientToken
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT, "none"]


def find_token(services: Services, token: str, hint: str | None) -> TokenRecord | None:
    """Look a token up by the hint first, then the other kind (RFC 7009 §2.1)."""
    order = (
        ["refresh_token", "access_token"]
        if hint == "refresh_token"
        else [
            "access_token",
            "refresh_token",
        ]
    )
    for kind in order:
        if kind == "access_token":
            access = services.tokens.access_token(token)
            if access is not None:
                return IssuedAccessToken(access)
            issued = ClientTokens(services).find(token)
            if issued is not None:
                return IssuedClientToken(issued)
        else:
            refresh = services.tokens.refresh_token(token)
            if refresh is not None:
                return IssuedRefreshToken(refresh, token)
    return None


def check_token_params(request: Any) -> None:
    """``token`` is required; a ``token_type_hint`` the bridge does not know is ignored and the
    token looked up as either kind (RFC 7009 §2.1, RFC 7662 §2.1), never a refusal."""
    if "token" not in request.form:
        raise InvalidRequestError()


class BridgeRevocationEndpoint(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def check_params(self, request: Any, client: OAuthClient) -> None:
        check_token_params(request)

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return find_token(self.services, token_string, token_type_hint)

    def revoke_token(self, token: TokenRecord, request: Any) -> None:
        if isinstance(token, IssuedAccessToken):
            self.services.tokens.revoke_access_token(token.info)
        elif isinstance(token, IssuedClientToken):
            ClientTokens(self.services).revoke(token.info)
        else:
            self.services.tokens.revoke_grant(token.info.grant_id, "revoked_by_client")


class BridgeIntrospectionEndpoint(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def check_params(self, request: Any, client: OAuthClient) -> None:
        check_token_params(request)

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return find_token(self.services, token_string, token_type_hint)

    def check_permission(self, token: TokenRecord, client: OAuthClient, request: Any) -> bool:
        # A client may introspect only the tokens issued to it.
        return token.check_client(client)

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        if isinstance(token, IssuedClientToken):
            issued = token.info
            return {
                "active": True,
                "client_id": issued.client_id,
                "token_type": "Bearer",
                "scope": issued.scope,
                "sub": issued.client_id,
                "aud": issued.audience,
                "iss": self.services.settings.issuer,
                "exp": issued.expires_at,
                "iat": issued.issued_at,
                "jti": issued.jti,
            }
        info = token.info
        record = self.services.users.get(info.user_id)
        payload: dict[str, Any] = {
            "active": True,
            "client_id": info.client_id,
            "token_type": ("Bearer" if isinstance(token, IssuedAccessToken) else "refresh_token"),
            "scope": info.scope,
            "sub": info.user_id,
            "aud": info.client_id,
            "iss": self.services.settings.issuer,
            "exp": info.expires_at,
            "iat": info.issued_at,
        }
        if record is not None:
            payload["username"] = record.username
        return payload


class AccessTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def authenticate_token(self, token_string: str) -> IssuedAccessToken | None:
        found = self.services.tokens.access_token_with_grant(token_string)
        if found is None:
            return None
        info, grant = found
        user = (
            AuthenticatedUser(info.user_id, tuple(grant.amr), grant.auth_time, grant.acr)
            if grant
            else None
        )
        return IssuedAccessToken(info, user)


FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class BridgeResourceProtector(ResourceProtector):  # type: ignore[misc]
    """Authlib's, and a bearer token may also come in a POST form body's ``access_token``
    (RFC 6750 §2.2) when no ``Authorization`` header is sent; never in a query string."""

    def parse_request_authorization(self, request: Any) -> Any:
        if not request.headers.get("Authorization"):
            token = form_access_token(flask_request)
            if token:
                return self.get_token_validator("bearer"), token
        return super().parse_request_authorization(request)


def form_access_token(request: Request) -> str | None:
    """The ``access_token`` of a form-encoded POST body (RFC 6750 §2.2), or None."""
    if request.method == "GET" or request.mimetype != FORM_MEDIA_TYPE:
        return None
    return request.form.get("access_token")


def build_resource_protector(services: Services) -> ResourceProtector:
    protector = BridgeResourceProtector()
    protector.register_token_validator(AccessTokenValidator(services))
    return protector


class BridgeEndSessionEndpoint(EndSessionEndpoint):  # type: ignore[misc]
    """RP-initiated logout: the browser session ends; tokens already issued stay valid."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.ended_session_cookie: str | None = None

    def get_server_jwks(self) -> dict[str, Any]:
        return self.services.keys.jwks()

    def get_algorithms(self) -> list[str]:
        return [self.services.settings.keys.signing_alg]

    def end_session(self, end_session_request: Any) -> None:
        """The view ends the browser session itself; it owns the cookie."""
