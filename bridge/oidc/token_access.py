"""Access tokens: short-lived, in the ephemeral store, alive only while their family is."""

from __future__ import annotations

from bridge.oidc import token_statements as statements
from bridge.oidc.token_families import TokenFamilies
from bridge.oidc.token_keys import token_hash, user_memo
from bridge.oidc.token_records import AccessTokenInfo
from bridge.storage.db.models import Grant, User
from bridge.storage.db.rows import detached
from bridge.storage.db.unit import keep
from bridge.storage.ephemeral.base import JsonObject


class AccessTokens(TokenFamilies):
    """Issue access tokens (with a grant's next refresh token) and look them up."""

    def store_tokens(
        self,
        grant_id: str,
        *,
        client_id: str,
        user_id: str,
        scope: str,
        access_token: str,
        refresh_token: str | None,
    ) -> None:
        item = self.access_token_item(
            grant_id, client_id=client_id, user_id=user_id, scope=scope, access_token=access_token
        )
        self._store.put(*item)
        if refresh_token is not None:
            self._record_refresh_token(grant_id, refresh_token)

    def access_token_item(
        self, grant_id: str, *, client_id: str, user_id: str, scope: str, access_token: str
    ) -> tuple[str, JsonObject, int]:
        """The store's key, value and lifetime of a new access token (``store_tokens``)."""
        now = int(self._clock())
        digest = token_hash(access_token)
        value = {  # AccessTokenInfo's fields
            "token_hash": digest,
            "grant_id": grant_id,
            "client_id": client_id,
            "user_id": user_id,
            "scope": scope,
            "issued_at": now,
            "expires_at": now + self.access_token_ttl,
        }
        return f"at:{digest}", value, self.access_token_ttl

    def access_token(self, token: str) -> AccessTokenInfo | None:
        """A live access token whose family has not been revoked, or None."""
        found = self.access_token_with_grant(token)
        return None if found is None else found[0]

    def access_token_with_grant(self, token: str) -> tuple[AccessTokenInfo, Grant] | None:
        """``access_token`` with its grant (how the user proved themselves): one read of the
        grant's row, with its client's ``disabled``, answers both whether the token is live
        and what the grant holds."""
        raw = self._store.get(f"at:{token_hash(token)}")
        if raw is None:
            return None
        info = AccessTokenInfo(**raw)
        if info.expires_at <= self._clock():
            return None
        rows = self._db.fetch(statements.GRANT_AND_CLIENT, {"grant_id": info.grant_id})
        if not rows or rows[0].revoked_at is not None or rows[0].client_disabled:
            # Revoked, deleted (with its client or user), or its client is disabled now.
            return None
        found = rows[0]
        keep(user_memo(found.user_id), None if found.u_id is None else detached(User, found, "u_"))
        return info, detached(Grant, found)

    def revoke_access_token(self, info: AccessTokenInfo) -> None:
        self._store.delete(f"at:{info.token_hash}")
