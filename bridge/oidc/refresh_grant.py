"""The ``refresh_token`` grant: a refresh token is spent once and replaced (rotation)."""

from __future__ import annotations

from functools import partial
from typing import Any

from authlib.oauth2.rfc6749 import grants, scope_to_list

from bridge.oidc.adapters import AuthenticatedUser, IssuedRefreshToken
from bridge.oidc.claims import known_user
from bridge.oidc.token_values import REFRESH_TOKEN_LENGTH, random_token
from bridge.services.container import Services
from bridge.services.issuance import refusal_for_user


class RotatingRefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True
    _successor = ""  # the new refresh token, recorded as the old one is spent

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedRefreshToken | None:
        """Spend the token, unless its user may no longer have tokens: then it is refused
        (``invalid_grant``) and not spent, so it does not rotate. Its successor is recorded as
        it is spent (issue 16: on PostgreSQL in the same statement), unless the request's
        scope will be refused (``invalid_scope``: spent, and no successor, as Authlib orders
        it)."""
        services: Services = self.server.services
        successor = random_token(REFRESH_TOKEN_LENGTH)
        info = services.tokens.use_refresh_token(
            refresh_token,
            self.request.client.get_client_id(),
            refused=lambda user_id, amr: (
                refusal_for_user(partial(known_user, services), services.lockout, user_id, amr)
                is not None
            ),
            successor=lambda granted: successor if self._scope_allowed(granted) else None,
        )
        if info is None:
            return None
        self._successor = successor
        return IssuedRefreshToken(info, refresh_token)

    def _scope_allowed(self, granted: str) -> bool:
        """Whether the request's ``scope`` passes Authlib's ``_validate_token_scope`` against
        the ``granted`` scope of the token's grant."""
        requested = self.request.payload.scope
        if not requested:
            return True
        return bool(granted) and set(scope_to_list(granted)) >= set(scope_to_list(requested))

    def issue_token(self, user: AuthenticatedUser, refresh_token: IssuedRefreshToken) -> Any:
        """Authlib's, with the new refresh token that was recorded as the old one was spent."""
        token = super().issue_token(user, refresh_token)
        token["refresh_token"] = self._successor
        return token

    def authenticate_user(self, refresh_token: IssuedRefreshToken) -> AuthenticatedUser | None:
        """The grant's user, as the token's read found them (``use_refresh_token`` checked in
        this request that the grant is live and that the user may have tokens)."""
        info = refresh_token.info
        return AuthenticatedUser(info.user_id, info.amr, info.auth_time, info.acr)

    def revoke_old_credential(self, refresh_token: IssuedRefreshToken) -> None:
        """Nothing to do: ``use_refresh_token`` already spent the old token atomically."""
