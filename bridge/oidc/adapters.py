"""Thin adapters that present our records in the shapes Authlib's mixins expect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin

from bridge.oidc.tokens import AccessTokenInfo, CodeData, RefreshTokenInfo
from bridge.services.api_clients import API_KIND, granted_scopes
from bridge.services.client_records import ClientRecord
from bridge.services.clients import ClientService

CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True)
class AuthenticatedUser:
    """Who finished the login flow, and how: what an authorization code carries to the ID token."""

    id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None = None

    def get_user_id(self) -> str:
        return self.id


class OAuthClient(ClientMixin):  # type: ignore[misc]
    def __init__(self, record: ClientRecord, service: ClientService) -> None:
        self.record = record
        self._service = service
        self.client_id = record.id

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.record.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.record.id

    def get_default_redirect_uri(self) -> None:
        # Every request must name its redirect URI: no guessing.
        return None

    @property
    def is_api_client(self) -> bool:
        """A machine client of an organisation: client credentials only (issue 12)."""
        return self.record.kind == API_KIND

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.record.scope.split()
        if self.is_api_client:
            # Checked against the granted scopes by the grant; none named means all of them.
            return " ".join(granted_scopes(self.record, (scope or "").split()) or ())
        if not scope:
            return "openid" if "openid" in allowed else ""
        return " ".join(s for s in dict.fromkeys(scope.split()) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison: no prefix, case or trailing-slash leniency.
        return redirect_uri in self.record.redirect_uris and not self.is_api_client

    def check_client_secret(self, client_secret: str) -> bool:
        return self._service.check_secret(self.record, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.record.public:
            return method == "none"
        if self.record.jwks:
            return method == PRIVATE_KEY_JWT  # a client with keys has no secret
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and not self.is_api_client

    def check_grant_type(self, grant_type: str) -> bool:
        if self.is_api_client:
            return grant_type == "client_credentials"
        return grant_type in ("authorization_code", "refresh_token")


class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, data: CodeData) -> None:
        self.data = data

    def get_redirect_uri(self) -> str:
        return self.data.redirect_uri

    def get_scope(self) -> str:
        return self.data.scope

    def get_nonce(self) -> str | None:
        return self.data.nonce

    def get_auth_time(self) -> int:
        return self.data.auth_time

    def get_acr(self) -> str | None:
        return self.data.acr

    def get_amr(self) -> list[str]:
        return list(self.data.amr)

    @property
    def code_challenge(self) -> str | None:
        return self.data.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.data.code_challenge_method


class IssuedAccessToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, info: AccessTokenInfo, user: AuthenticatedUser | None = None) -> None:
        self.info = info
        self.scope = info.scope
        self._user = user

    def check_client(self, client: OAuthClient) -> bool:
        return bool(client.get_client_id() == self.info.client_id)

    def get_scope(self) -> str:
        return self.info.scope

    def get_expires_in(self) -> int:
        return self.info.expires_at - self.info.issued_at

    def is_expired(self) -> bool:
        return False  # TokenService only returns live tokens

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> AuthenticatedUser | None:
        return self._user

    def get_client(self) -> Any:
        return None


class IssuedRefreshToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, info: RefreshTokenInfo, token: str) -> None:
        self.info = info
        self.token = token

    def check_client(self, client: OAuthClient) -> bool:
        return bool(client.get_client_id() == self.info.client_id)

    def get_scope(self) -> str:
        return self.info.scope

    def get_expires_in(self) -> int:
        return self.info.expires_at - self.info.issued_at

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.info.revoked

    def get_user(self) -> None:
        return None

    def get_client(self) -> Any:
        return None
